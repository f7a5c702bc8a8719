"""Fast checks of the world generator, glyph layout and model plumbing (CPU, ~20 s).

    python3 Weights/recipe/tests/test_recipe.py
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import numpy as np
import torch

from recipe import glyph, world
from recipe.world import identity


def test_determinism():
    a = world.render(world.sample_scene(123, "train"))[0]
    b = world.render(world.sample_scene(123, "train"))[0]
    assert a.shape == (128, 128, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    c = world.render(world.sample_scene(123, "train", 96))[0]
    assert c.shape == (96, 96, 3)


def test_heldout_disjoint():
    train = {identity.identity_seed("train", "person", i) for i in range(20000)}
    held = {identity.identity_seed("heldout", "person", i) for i in range(32)}
    assert not train & held


def test_text_ink_equals_glyph_map():
    for seed in range(200):
        sc = world.sample_scene(seed, "train", p_text=1.0)
        raw, _ = world.render(sc, stylize=False)
        gm = glyph.glyph_map(sc.text)
        assert glyph.quoted_text(sc.captions[0]) == sc.text
        ink = raw[gm > 0]
        assert len(ink) > 0 and (ink == ink[0]).all(), seed   # one ink colour exactly where the map is 1


def test_glyph_layout():
    assert glyph.glyph_map("").sum() == 0
    m = glyph.glyph_map("HELLO")
    x0, y0, x1, y1 = glyph.glyph_box("HELLO")
    assert m[:y0].sum() == 0 and m[y1:].sum() == 0 and m[:, :x0].sum() == 0 and m[:, x1:].sum() == 0
    bx, by, bw, bh = glyph.band(128)
    assert bx <= x0 and x1 <= bx + bw and by <= y0 and y1 <= by + bh
    assert glyph.quoted_text('a \u201cQUOTE\u201d b "X"') == "QUOTE"


def test_captions_and_labels():
    sc = world.sample_scene(7, "train", n_subjects=3)
    _, labels = world.render(sc)
    assert [l["placeholder"] for l in labels] == ["<p1>", "<p2>", "<p3>"]
    for c in sc.captions:
        assert all(f"<p{i}>" in c for i in (1, 2, 3)), c


def test_models_shapes():
    from recipe.models.dit import DiT, DiTConfig
    from recipe.models.refenc import ReferenceEncoder
    from recipe.models.vae import VAE
    torch.manual_seed(0)
    vae = VAE()
    x = torch.zeros(1, 3, 128, 128)
    rec, mean, _ = vae(x)
    assert mean.shape == (1, 4, 32, 32) and rec.shape == x.shape
    ref = ReferenceEncoder()
    tok, tm = ref(torch.zeros(1, 2, 3, 3, 64, 64), torch.tensor([[[True, True, False], [True, False, False]]]))
    assert tok.shape == (1, 16, 256) and tm.all()
    dit = DiT(DiTConfig(glyph=True, guidance_embed=True))
    v = dit(mean, torch.tensor([0.5]), torch.zeros(1, 48, 384), torch.ones(1, 48, dtype=torch.bool), tok, tm,
            glyph=torch.zeros(1, 1, 128, 128), guidance=torch.tensor([3.0]))
    assert v.shape == (1, 4, 32, 32)


def test_contrastive_views_pair_identities():
    from recipe import stage_refenc
    photos, mask = stage_refenc.view_batch(11, 4, 3, 4)
    assert photos.shape == (8, 4, 3, 64, 64) and mask.shape == (8, 4)
    assert mask[:, 0].all() and (mask.sum(1) <= 3).all()
    assert (photos[~mask] == 0).all()                      # padding photos are zero
    assert not torch.equal(photos[0, 0], photos[4, 0])     # the two views of a person are different photos


def test_text_area_covers_the_glyphs():
    from recipe import stage_denoiser
    g = stage_denoiser.glyph_batch(['A sign that says "HELLO".', "No text here."])
    area = stage_denoiser.text_area(g, 32)
    assert area.shape == (2, 1, 32, 32) and area[1].sum() == 0
    ys, xs = np.nonzero(g[0, 0].numpy())
    assert len(ys) and area[0, 0, ys // 4, xs // 4].all()       # every latent pixel holding ink ...
    x0, y0, x1, y1 = glyph.glyph_box("HELLO")
    inside = torch.zeros(32, 32)
    inside[max(0, y0 // 4 - 1):(y1 - 1) // 4 + 2, max(0, x0 // 4 - 1):(x1 - 1) // 4 + 2] = 1
    assert area[0, 0].sum() > 0 and (area[0, 0] <= inside).all()  # ... and nothing beyond the box grown by one


def test_decoder_finetune_masks_the_text_and_leaves_the_encoder():
    from recipe import stage_vae_decoder
    from recipe.models.vae import VAE
    x, box = stage_vae_decoder.text_batch(5, 3, 128)
    assert x.shape == (3, 3, 128, 128) and box.shape == (3, 1, 128, 128)
    r = random.Random(5)
    for b in range(3):   # the same scenes text_batch drew: every ink pixel lies in the mask
        sc = world.sample_scene(r.randrange(1 << 40), "train", 128, p_text=1.0)
        gm = torch.from_numpy(glyph.glyph_map(sc.text))
        assert gm.sum() > 0 and (box[b, 0][gm > 0] == 1).all() and box[b, 0].sum() < 128 * 128 / 4
    torch.manual_seed(0)
    vae = VAE()
    enc = {k: v.clone() for k, v in vae.encoder.state_dict().items()}
    dec = {k: v.clone() for k, v in vae.decoder.state_dict().items()}
    stage_vae_decoder.train_step(vae, torch.optim.AdamW(vae.decoder.parameters(), lr=1e-3), x[:1], box[:1], 10.0)
    assert all(torch.equal(v, vae.encoder.state_dict()[k]) for k, v in enc.items())
    assert any(not torch.equal(v, vae.decoder.state_dict()[k]) for k, v in dec.items())


def test_char_accuracy_is_one_minus_edit_distance():
    from recipe.evaluate import char_accuracy
    assert char_accuracy("SITTING", "KITTEN") == 1 - 3 / 6     # the textbook kitten/sitting distance, 3
    assert char_accuracy("HELLO", "HELLO") == 1.0 and char_accuracy("", "HELLO") == 0.0
    assert char_accuracy("HELO", "HEL LO") == 1 - 1 / 5 and char_accuracy("XXXXXXXXXX", "AB") == 0.0


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
            print("ok", name)
