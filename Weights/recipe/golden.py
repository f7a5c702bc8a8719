"""Golden tensors for the Swift parity tests, computed from the exported Weights/*.h5 (float16 storage
upcast to float32, float32 compute on CPU).

    python3 Weights/recipe/golden.py            # writes Weights/golden/*.h5

Each file holds `inputs/<name>` and `outputs/<name>` datasets (float32 unless noted) and root
attributes describing the call (JSON in `call`). Files:
    glyph.h5        strings -> glyph maps (uint8 0/1 [n,128,128]) and text boxes (int32 [n,4])
    text.h5         tricky prompts -> token ids (int64 [n,48]), mask (uint8), MiniLM states [n,48,384]
    vae.h5          image -> encoder mean/logvar; latent -> decoded image
    refenc.h5       photos [1,P,R,3,64,64] + mask -> tokens [1,P*K,256] + token mask
    dit_v1.h5, dit_v2.h5   one denoiser evaluation
    sample_v1.h5, sample_v2.h5   a whole seeded generation: noise, final latent, image (uint8)
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from recipe import canvas, common, glyph, layout, world, weights  # noqa: E402

OUT = os.path.join(common.WEIGHTS, "golden")
GLYPH_STRINGS = ["", "A", "HELLO", "HELLO WORLD", "WWWWWWWWWW", "iiiiiiii", "Mixed Case 123!?", "caf\u00e9 \u00fcber",
                 "QXZJKV", "a very long string that must shrink to fit the band", "{[(<~`|\\^_>)]}", "  spaced  "]
TRICKY_PROMPTS = [
    'A photo of <p1> at the beach holding a sign that says "HELLO".',
    "",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 accents & punctuation!!! (really?) [yes] {no}",
    "Numbers: 3.14159, 1,000,000 and 42nd street at 7:30pm",
    "\u201cCurly quotes\u201d and 'single quotes' with \"STRAIGHT\" ones",
    "Emoji \U0001F600\U0001F436 party \U0001F389 with <p1>, <p2> and <p3>",
    "UPPERCASE lowercase MiXeD CaSe",
    " ".join(["word"] * 300),
]


def write(name, inputs: dict, outputs: dict, call: dict):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with h5py.File(path + ".tmp", "w") as h:
        for k, v in inputs.items():
            h.create_dataset("inputs/" + k, data=v)
        for k, v in outputs.items():
            h.create_dataset("outputs/" + k, data=v)
        h.attrs["call"] = json.dumps(call)
        h.attrs["generator_version"] = world.GENERATOR_VERSION
    os.replace(path + ".tmp", path)
    print("wrote", path, f"{os.path.getsize(path) / 1e3:.0f} kB")


def f32(t):
    return t.detach().float().cpu().numpy()


@torch.no_grad()
def main():
    torch.set_num_threads(1)
    from recipe.models.textenc import TextEncoder
    from recipe.pipeline import Pipeline

    maps = np.stack([glyph.glyph_map(s).astype(np.uint8) for s in GLYPH_STRINGS])
    boxes = np.array([glyph.glyph_box(s) or (0, 0, 0, 0) for s in GLYPH_STRINGS], np.int32)
    write("glyph.h5", {"strings": np.array(GLYPH_STRINGS, dtype=h5py.string_dtype())},
          {"glyph_maps": maps, "boxes": boxes}, {"size": 128, "quoted_text_example": glyph.quoted_text(TRICKY_PROMPTS[0])})

    te = TextEncoder()
    enc = te.tokenizer(TRICKY_PROMPTS, padding="max_length", truncation=True, max_length=48, return_tensors="pt")
    states, mask = te(TRICKY_PROMPTS)
    write("text.h5", {"prompts": np.array(TRICKY_PROMPTS, dtype=h5py.string_dtype())},
          {"token_ids": enc["input_ids"].numpy().astype(np.int64), "mask": mask.numpy().astype(np.uint8),
           "states": f32(states)}, {"max_tokens": 48, "lowercase": True})

    vae = weights.vae()
    img = world.render(world.sample_scene(1_000_000_007, "heldout"))[0]
    x = torch.from_numpy(img.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    mean, logvar = vae.encode(x)
    dec = vae.decode(mean)
    ins, outs = {"image": f32(x), "latent": f32(mean)}, {"mean": f32(mean), "logvar": f32(logvar), "decoded": f32(dec)}
    call = {"encode": "image -> mean, logvar", "decode": "latent -> decoded", "config": vae.config.to_dict()}
    if vae.config.glyph_conditioning:
        gm = torch.from_numpy(glyph.glyph_map("HELLO"))[None, None]
        ins["glyph"], outs["decoded_glyph"] = f32(gm), f32(vae.decode(mean, gm))
        call["decode_glyph"] = "latent, glyph -> decoded_glyph"
    write("vae.h5", ins, outs, call)

    ref = weights.refenc()
    photos = torch.zeros(1, 2, 3, 3, 64, 64)
    pmask = torch.zeros(1, 2, 3, dtype=torch.bool)
    first_photos = []
    for p, (kind, idx, n) in enumerate([("person", 0, 3), ("pet", 1, 2)]):
        for k in range(n):
            a = world.reference_photo(kind, "heldout", idx, 500 + k)
            first_photos += [a] if k == 0 else []
            photos[0, p, k] = torch.from_numpy(a.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)
            pmask[0, p, k] = True
    tokens, tmask = ref(photos, pmask)
    write("refenc.h5", {"photos": f32(photos), "photo_mask": pmask.numpy().astype(np.uint8)},
          {"tokens": f32(tokens), "token_mask": tmask.numpy().astype(np.uint8)}, {"note": "masked photos are zero"})

    g = torch.Generator().manual_seed(7)
    xt = torch.randn(1, 4, 32, 32, generator=g)
    t = torch.tensor([0.6])
    text, textmask = te([TRICKY_PROMPTS[0]])
    for preset in ("v1", "v2"):
        dit = weights.dit(preset)
        kw = {}
        ins = {"x": f32(xt), "t": f32(t), "text": f32(text), "text_mask": textmask.numpy().astype(np.uint8),
               "ref": f32(tokens), "ref_mask": tmask.numpy().astype(np.uint8), "ref_scale": np.float32(0.8)}
        if preset == "v2":
            gm = torch.from_numpy(glyph.glyph_map("HELLO"))[None, None]
            kw = {"glyph": gm, "guidance": torch.tensor([3.0])}
            ins.update(glyph=f32(gm), guidance=np.array([3.0], np.float32))
            if dit.config.layout:   # the planner's strips for the golden's two people
                lay = torch.from_numpy(layout.strips(tokens.shape[1] // ref.config.tokens))[None]
                kw["layout"] = lay
                ins["layout"] = f32(lay)
            if dit.config.canvas:   # each person's first photo in the planner's box for two subjects
                cv = torch.from_numpy(canvas.reference_canvas(first_photos, [canvas.planner_box(i, 2) for i in range(2)]))[None]
                kw["canvas"] = cv
                ins["canvas"] = f32(cv)
        v = dit(xt, t, text, textmask, tokens, tmask, 0.8, **kw)
        write(f"dit_{preset}.h5", ins, {"v": f32(v)}, {"note": "null reference token is prepended inside the model"})

    # The planner's layout for 1-5 subjects (token strips and image boxes), for the Swift planner.
    write("layout.h5", {"subjects": np.arange(1, 6, dtype=np.int64)},
          {**{f"strips_{n}": layout.strips(n) for n in range(1, 6)},
           **{f"boxes_{n}": np.array([layout.pixel_box(i, n) for i in range(n)], np.int64) for n in range(1, 6)},
           **{f"planner_boxes_{n}": np.array([canvas.planner_box(i, n) for i in range(n)], np.int64) for n in range(1, 7)}},
          {"grid": 16, "size": 128})

    # The judges on two scenes, and the identity judge on each subject's crop (data.crop_subject: square
    # around the box, edge-padded, PIL bilinear to 64), and KID on their pooled features (evaluate.kid).
    from recipe import data
    from recipe.evaluate import kid
    scene_j, id_j = weights.judges()
    scenes = [world.sample_scene(1_000_000_107 + i, "heldout", n_subjects=2, p_text=1.0) for i in range(3)]
    renders = [world.render(s) for s in scenes]
    images = np.stack([r[0] for r in renders])
    boxes = np.array([lab["box"] for _, labs in renders for lab in labs], np.int64)
    source = np.array([i for i, (_, labs) in enumerate(renders) for _ in labs], np.int64)
    crops = np.stack([data.crop_subject(renders[i][0], b) for i, b in zip(source, boxes)])
    with torch.no_grad():
        so, io = scene_j(data.to_tensor(list(images))), id_j(data.to_tensor(list(crops)))
        feats = scene_j.features(data.to_tensor(list(images))).mean(dim=(2, 3))
    rng = np.random.default_rng(0)
    fa, fb = rng.standard_normal((5, 16)), rng.standard_normal((7, 16)) + 0.3
    # What Tesseract reads of each scene's text (measure.ocr_word), when it is installed.
    from recipe.measure import ocr_word
    reads = [ocr_word(img, s.text) for img, s in zip(images, scenes)]
    ocr = {"texts": [s.text for s in scenes], **({"ocr": [r for r in reads]} if None not in reads else {})}
    write("judges.h5", {"images": images, "boxes": boxes, "box_image": source, "kid_a": fa, "kid_b": fb, "texts": ocr["texts"]},
          {**({"ocr": ocr["ocr"]} if "ocr" in ocr else {}), "crops": crops, "setting": f32(so["setting"]), "style": f32(so["style"]), "identity": f32(io["identity"]),
           "features": f32(feats), "kid": np.float64(kid(fa, fb))},
          {"note": "images uint8 [n,128,128,3]; crops uint8 [m,64,64,3] of box m in image box_image[m]; logits"})

    # The reference canvas: three photos, one box partly outside the image, one overlapping another, one empty.
    cphotos = np.stack([world.reference_photo("person", "heldout", i, 700 + i) for i in range(3)] +
                       [world.reference_photo("pet", "heldout", 2, 703)])
    cboxes = np.array([[10, 20, 50, 118], [40, 30, 77, 114], [100, -5, 140, 60], [60, 60, 60, 90]], np.int64)
    write("canvas.h5", {"photos": cphotos, "boxes": cboxes},
          {"canvas": canvas.reference_canvas(list(cphotos), [tuple(b) for b in cboxes])},
          {"note": "photos are uint8 [n, 64, 64, 3]; later people are painted over earlier ones"})

    for preset in ("v1", "v2"):
        pipe = Pipeline(preset)
        refs = {1: [world.reference_photo("person", "heldout", 0, 500 + k) for k in range(3)]}
        prompt = TRICKY_PROMPTS[0]
        if preset == "v2":   # two subjects, so that v2's layout (each strip its own person) is exercised
            prompt = 'A photo of <p1> and <p2> at the beach holding a sign that says "HELLO".'
            refs[2] = [world.reference_photo("pet", "heldout", 1, 600 + k) for k in range(2)]
        seed = 1234
        img, z = pipe.generate(prompt, refs, seed=seed, ref_scale=1.0, return_latent=True)
        noise = torch.randn((1, 4, 32, 32), generator=torch.Generator().manual_seed(seed))
        from recipe.pipeline import PRESETS
        write(f"sample_{preset}.h5", {"prompt": prompt, "seed": np.int64(seed), "noise": f32(noise),
                                      **{f"reference_photos_p{p}": np.stack(v) for p, v in refs.items()}},
              {"latent": f32(z), "image": img}, {"preset": preset, **PRESETS[preset], "ref_scale": 1.0})


if __name__ == "__main__":
    main()
