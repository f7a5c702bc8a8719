"""Fast checks of the world generator, glyph layout, model plumbing, the import graph and the resume rule (CPU, ~20 s).

    python3 Weights/recipe/tests/test_recipe.py
"""
import ast
import math
import os
import random
import sys
import tempfile

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
    from recipe import data, stage_denoiser
    g = data.glyph_maps([glyph.quoted_text(c) for c in ['A sign that says "HELLO".', "No text here."]])
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
    from recipe.models.vae import VAE, VAEConfig
    x, box, gmap = stage_vae_decoder.text_batch(5, 3, 128, p_plain=0.0, p_glyph_drop=0.0)
    assert x.shape == (3, 3, 128, 128) and box.shape == (3, 1, 128, 128) and gmap.shape == (3, 1, 128, 128)
    r = random.Random(5)
    for b in range(3):   # the same scenes text_batch drew: every ink pixel lies in the mask, the map is the glyph map
        r.random()
        sc = world.sample_scene(r.randrange(1 << 40), "train", 128, p_text=1.0)
        r.random()
        gm = torch.from_numpy(glyph.glyph_map(sc.text))
        assert gm.sum() > 0 and (box[b, 0][gm > 0] == 1).all() and box[b, 0].sum() < 128 * 128 / 4
        assert torch.equal(gmap[b, 0], gm)
    torch.manual_seed(0)
    vae = VAE(VAEConfig(glyph_conditioning=True))
    enc = {k: v.clone() for k, v in vae.encoder.state_dict().items()}
    dec = {k: v.clone() for k, v in vae.decoder.state_dict().items()}
    stage_vae_decoder.train_step(vae, torch.optim.AdamW(vae.decoder.parameters(), lr=1e-3), x[:1], box[:1], gmap[:1],
                                 10.0, 0.5, torch.Generator().manual_seed(0))
    assert all(torch.equal(v, vae.encoder.state_dict()[k]) for k, v in enc.items())
    assert not torch.equal(dec["glyph_in.2.weight"], vae.decoder.state_dict()["glyph_in.2.weight"])


def test_glyph_decoder_starts_as_the_plain_decoder_and_a_zero_map_adds_nothing():
    from recipe.models.vae import VAE, VAEConfig
    torch.manual_seed(1)
    plain = VAE()
    glyphed = VAE(VAEConfig(glyph_conditioning=True))
    missing, _ = glyphed.load_state_dict(plain.state_dict(), strict=False)
    assert missing and all(k.startswith("decoder.glyph_in.") for k in missing)
    z = torch.randn(2, 4, 32, 32)
    g = torch.from_numpy(np.stack([glyph.glyph_map("HELLO"), glyph.glyph_map("")]))[:, None]
    with torch.no_grad():
        assert torch.equal(glyphed.decode(z, g), plain.decode(z))          # zero-initialised branches
        for conv in glyphed.decoder.glyph_in:
            conv.weight.normal_()
        out = glyphed.decode(z, g)
    assert not torch.allclose(out[0], plain.decode(z)[0])                   # the map now matters...
    assert torch.equal(out[1], plain.decode(z)[1])                          # ...but an empty one adds nothing


def test_layout_strips_partition_the_tokens_left_to_right():
    from recipe import layout
    for n in range(1, 6):
        lay = layout.strips(n)
        assert lay.shape == (256, n) and (lay.sum(1) == 1).all()
        cols = [sorted({t % 16 for t in np.nonzero(lay[:, i])[0]}) for i in range(n)]
        assert all(a[-1] < b[0] for a, b in zip(cols, cols[1:]))           # strips ordered left to right
        assert [layout.pixel_box(i, n)[0] for i in range(n)] == [c[0] * 8 for c in cols]


def test_layout_masks_each_region_to_its_person():
    """With the layout, the tokens of <p1>'s strip do not see <p2>'s references (one block, so nothing
    mixes the strips after the reference attention; the appearance branch is still at zero)."""
    from recipe import layout
    from recipe.models.dit import DiT, DiTConfig
    torch.manual_seed(2)
    dit = DiT(DiTConfig(depth=1, glyph=True, guidance_embed=True, layout=True)).eval()
    with torch.no_grad():
        for p in (dit.out.weight, dit.blocks[0].ref_proj.weight):
            p.normal_(0, 0.05)
    x, t = torch.randn(1, 4, 32, 32), torch.tensor([0.5])
    text, tmask = torch.randn(1, 5, 384), torch.ones(1, 5, dtype=torch.bool)
    ref, rmask = torch.randn(1, 16, 256), torch.ones(1, 16, dtype=torch.bool)
    lay = torch.from_numpy(layout.strips(2))[None]
    other = ref.clone()
    other[:, 8:] = torch.randn(1, 8, 256)                                   # change <p2>'s tokens only
    with torch.no_grad():
        a = dit(x, t, text, tmask, ref, rmask, 1.0, None, None, lay)
        b = dit(x, t, text, tmask, other, rmask, 1.0, None, None, lay)
        c = dit(x, t, text, tmask, other, rmask, 1.0, None, None, torch.ones_like(lay))
    assert torch.equal(a[..., :16], b[..., :16])                             # latent columns of <p1>'s strip
    assert not torch.allclose(a[..., 16:], b[..., 16:])
    assert not torch.allclose(a[..., :16], c[..., :16])                      # without the layout they see <p2>


def test_char_accuracy_is_one_minus_edit_distance():
    from recipe.measure import char_accuracy
    assert char_accuracy("SITTING", "KITTEN") == 1 - 3 / 6     # the textbook kitten/sitting distance, 3
    assert char_accuracy("HELLO", "HELLO") == 1.0 and char_accuracy("", "HELLO") == 0.0
    assert char_accuracy("HELO", "HEL LO") == 1 - 1 / 5 and char_accuracy("XXXXXXXXXX", "AB") == 0.0


def test_img2img_start_rule():
    from recipe.pipeline import img2img_start
    z, noise = torch.randn(1, 4, 32, 32), torch.randn(1, 4, 32, 32)
    x, k = img2img_start(z, noise, 1.0, 8)
    assert k == 0 and x is noise                      # text-to-image exactly
    x, k = img2img_start(z, noise, 0.0, 8)
    assert k == 8 and x is z                          # nothing to denoise
    x, k = img2img_start(z, noise, 0.5, 8)            # t_4 = 1/2
    assert k == 4 and torch.allclose(x, math.cos(math.pi / 4) * z + math.sin(math.pi / 4) * noise)
    assert img2img_start(z, noise, 0.3125, 8)[1] == 6  # 2.5 steps round half to even, as in the Swift pipeline
    assert img2img_start(z, noise, 0.4375, 8)[1] == 4


RECIPE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def recipe_imports() -> dict:
    """{recipe module: the recipe modules it imports} from the source with `ast`, imports inside functions
    included: a lazy import still closes a circle, it only moves the failure to whichever call runs first.
    Modules are dotted paths below recipe/ (`stage_vae`, `models.vae`, `world`); importing `a.b` also
    imports the package `a`, unless the importer lies inside `a` (a package may import its own parts)."""
    files = {}
    for root, dirs, names in os.walk(RECIPE_DIR):
        dirs[:] = [d for d in dirs if d not in ("tests", "runs", "__pycache__")]
        for n in names:
            if n.endswith(".py"):
                rel = os.path.relpath(os.path.join(root, n), RECIPE_DIR)[:-3].replace(os.sep, ".")
                files[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = os.path.join(root, n)
    files.pop("__init__", None)
    known = set(files)

    def with_parents(name):
        parts = name.split(".")
        return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known

    graph = {}
    for mod, path in files.items():
        package = mod.split(".") if path.endswith("__init__.py") else mod.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(open(path).read(), path)):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    target = ".".join(base + (node.module.split(".") if node.module else []))
                else:
                    target = node.module
                targets = [f"{target}.{a.name}" if target else a.name for a in node.names] + [target]
            else:
                continue
            for t in targets:
                if not t:
                    continue
                t = t[len("recipe."):] if t.startswith("recipe.") else t   # the scripts' absolute form
                deps |= with_parents(t)   # bare names too: make_atlas.py puts recipe/ itself on sys.path
        graph[mod] = deps - with_parents(mod)
    return graph


def find_cycle(graph: dict):
    """One import circle as a list [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        state[m] = "closed"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_find_cycle_finds_a_planted_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_recipe_imports_form_no_circle():
    graph = recipe_imports()
    assert {"stage_vae", "stage_denoiser", "pipeline", "evaluate", "world.scene"} <= graph.keys()
    assert "glyph" in graph["world.scene"] and "stage_refenc" in graph["train"]   # relative and lazy imports seen
    cycle = find_cycle(graph)
    assert cycle is None, "recipe modules import each other in a circle: " + " -> ".join(cycle)


def test_only_train_imports_the_stages():
    """A stage is an entry point of train.py; whatever needs a trained model reads it through
    checkpoints.py, so no stage, pipeline or evaluation depends on another stage's training code."""
    graph = recipe_imports()
    stages = {m for m in graph if m.startswith("stage_")}
    assert len(stages) == 5
    users = {m: sorted(graph[m] & stages) for m in graph if m != "train" and graph[m] & stages}
    assert not users, users


STAGE_MODULES = ["stage_vae", "stage_vae_decoder", "stage_refenc", "stage_denoiser", "stage_judges"]


class temporary_runs:
    """common.RUNS pointed at a fresh folder (what CAVENDISH_RUNS does for a new process)."""

    def __enter__(self):
        from recipe import common
        self.tmp = tempfile.TemporaryDirectory()
        self.old, common.RUNS = common.RUNS, self.tmp.name
        return self.tmp.name

    def __exit__(self, *exc):
        from recipe import common
        common.RUNS = self.old
        self.tmp.cleanup()


def test_merge_rule_defaults_then_checkpoint_then_command_line():
    from recipe.common import merge_config
    defaults = {"total_steps": 10, "lr": 0.1, "new_key": 7}
    saved = {"total_steps": 20, "lr": 0.2, "old_key": 1}          # written before new_key existed
    assert merge_config(defaults, saved, {"lr": 0.3}) == {"total_steps": 20, "lr": 0.3, "new_key": 7, "old_key": 1}
    assert merge_config(defaults, saved, None) == {"total_steps": 20, "lr": 0.2, "new_key": 7, "old_key": 1}
    assert merge_config(defaults, None, {"total_steps": 2}) == {"total_steps": 2, "lr": 0.1, "new_key": 7}


def _fake_checkpoint(stage: str, step: int, done: bool, train_config: dict):
    """A tiny checkpoint in a stage's format: one Linear, its AdamW state after a step, the RNG state."""
    from recipe import common
    torch.manual_seed(0)
    m = torch.nn.Linear(2, 2)
    opt = torch.optim.AdamW(m.parameters(), lr=0.1)
    m(torch.ones(1, 2)).sum().backward()
    opt.step()
    rng = torch.get_rng_state()
    common.save_checkpoint(stage, {"model": m.state_dict(), "optimizer": opt.state_dict(), "step": step, "done": done,
                                   "train_config": train_config, "torch_rng": rng, "metrics": {"loss": 0.5}})
    return m, rng


def test_resume_restores_merges_and_reports_done():
    from recipe import common
    defaults = {"total_steps": 4, "lr": 0.1, "seed": 1}
    with temporary_runs():
        res = common.Resume("fake", defaults, {"lr": 0.3})
        assert res.ck is None and not res.done and res.cfg == {"total_steps": 4, "lr": 0.3, "seed": 1}
        assert res.restore({}, None) == (0, {})                     # fresh start

        trained, rng = _fake_checkpoint("fake", 4, True, {"total_steps": 4, "lr": 0.2, "seed": 9})
        assert common.Resume("fake", defaults).done                 # done, and step 4 >= total_steps 4
        assert common.Resume("fake", defaults, {"total_steps": 3}).done
        res = common.Resume("fake", defaults, {"total_steps": 6})  # a finished run taken further
        assert not res.done and res.cfg == {"total_steps": 6, "lr": 0.2, "seed": 9}
        m = torch.nn.Linear(2, 2)
        opt = torch.optim.AdamW(m.parameters(), lr=res.cfg["lr"])
        torch.manual_seed(123)
        assert res.restore({"model": m}, opt) == (4, {"loss": 0.5})
        assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), trained.state_dict().values()))
        assert opt.state_dict()["state"][0]["step"] == 1            # the optimizer's moments came back
        torch.set_rng_state(rng)
        expected = torch.rand(3)
        res.restore({"model": m}, opt)
        assert torch.equal(torch.rand(3), expected)                  # and the RNG state

        _fake_checkpoint("fake", 4, False, {"total_steps": 4})
        assert not common.Resume("fake", defaults).done             # not marked done: it goes on and saves


def test_every_stage_returns_at_once_on_a_finished_checkpoint():
    """Each stage (both denoiser variants) goes through common.Resume: a checkpoint marked done at its
    default total_steps, with an empty train_config (a seeded record may have none), is reported done
    before anything is built, loaded or trained; no other stage's checkpoint is needed."""
    import importlib
    from recipe import common
    with temporary_runs():
        for name in STAGE_MODULES:
            mod = importlib.import_module("recipe." + name)
            for stage, defaults in (mod.DEFAULTS.items() if name == "stage_denoiser" else [(mod.STAGE, mod.DEFAULTS)]):
                common.save_checkpoint(stage, {"step": defaults["total_steps"], "done": True, "train_config": {}})
                kw = {"variant": stage} if name == "stage_denoiser" else {}
                assert mod.run(torch.device("cpu"), common.Deadline(None), {}, **kw) is True, stage
                assert sorted(os.listdir(os.path.join(common.RUNS, stage))) == ["checkpoint.pt"], stage


def test_no_stage_keeps_its_own_resume_prologue():
    for name in STAGE_MODULES:
        tree = ast.parse(open(os.path.join(RECIPE_DIR, name + ".py")).read())
        calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert "common.Resume" in calls, name
        assert not calls & {"common.restore", "common.merge_config"}, name


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
            print("ok", name)
