"""The Python package and the CLI it shares a schema with, end to end on the committed weights.

Run: python3 python/tests/test_pipeline.py (needs numpy and a built cavendish; CAVENDISH_BIN may name it).
Expected values come from the binary itself through a second path (the CLI's own JSON and PNG, hashes
of the returned pixels), never from numbers written here.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cavendish import CavendishError, Pipeline, find_binary  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEIGHTS = os.path.join(ROOT, "Weights")
PROMPT = 'a photo of <p1> at the beach holding a sign that says "HI"'
REF = os.path.join(ROOT, "Weights", "demo-library", "Phone", "IMG_3000.png")
HEIC = os.path.join(ROOT, "Weights", "demo-library", "Phone", "IMG_3004.heic")
JPEG = os.path.join(ROOT, "Weights", "demo-library", "Takeout", "Google Photos", "Photos from 2023", "PXL_20230701_101500.jpg")


def png_info(path):
    """(width, height, text chunks) of a PNG, read with the standard library only."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    text, i = {}, 8
    while i < len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if kind == b"tEXt":
            k, v = body.split(b"\0", 1)
            text[k.decode("latin-1")] = v.decode("latin-1")
        elif kind == b"iTXt":
            k, rest = body.split(b"\0", 1)
            text[k.decode("utf-8")] = rest[2:].split(b"\0", 2)[2].decode("utf-8")
        i += 12 + n
    return width, height, text


def ref_digest():
    with open(REF, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cli(*args, cwd):
    out = subprocess.run([find_binary(), "generate", "--weights", WEIGHTS, *args], cwd=cwd, capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


class PipelineTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pipe = Pipeline(weights=WEIGHTS)
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        cls.pipe.close()

    def test_seeds_give_arrays_and_records(self):
        got = self.pipe.generate(PROMPT, seeds=[5, 6], steps=2, references={"p1": [REF]})
        self.assertEqual([g.record["seed"] for g in got], [5, 6])
        for g in got:
            self.assertEqual(g.image.shape, (128, 128, 3))
            self.assertEqual(hashlib.sha256(g.image.tobytes()).hexdigest(), g.record["pixels_sha256"])
            self.assertEqual(g.record["schema"], "generate/2")
            self.assertEqual(g.record["references"][0]["sha256"][0], ref_digest())
        self.assertNotEqual(got[0].record["pixels_sha256"], got[1].record["pixels_sha256"])

    def test_same_image_as_the_cli(self):
        py = self.pipe.generate(PROMPT, seed=11, steps=2, references={"p1": [REF]})[0]
        code, out, err = cli("--prompt", PROMPT, "--seed", "11", "--steps", "2", "--reference", f"p1={REF}", "--json", "--out", "x.png", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        record = json.loads(out)
        self.assertEqual(record["pixels_sha256"], py.record["pixels_sha256"])
        same = {k for k in record if k not in ("out", "seconds", "index") and not k.startswith("seconds_")}
        self.assertEqual({k: record[k] for k in same}, {k: py.record[k] for k in same})

    def test_ref_scale_and_negative_prompt_change_the_image(self):
        base = self.pipe.generate(PROMPT, seed=3, steps=2, references={"p1": [REF]})[0]
        off = self.pipe.generate(PROMPT, seed=3, steps=2, references={"p1": [REF]}, ref_scale=0)[0]
        self.assertEqual((base.record["ref_scale"], off.record["ref_scale"]), (2, 0))   # v2's default, and the override
        self.assertNotEqual(base.record["pixels_sha256"], off.record["pixels_sha256"])
        strong = self.pipe.generate(PROMPT, seed=3, steps=2, references={"p1": [REF]}, guidance=6)[0]
        self.assertEqual((base.record["guidance"], strong.record["guidance"]), (3, 6))
        self.assertNotEqual(base.record["pixels_sha256"], strong.record["pixels_sha256"])
        v1 = self.pipe.generate("a dog in the snow", seed=3, steps=2, preset="v1")[0]
        neg = self.pipe.generate("a dog in the snow", seed=3, steps=2, preset="v1", negative_prompt="snow")[0]
        self.assertEqual(neg.record["negative_prompt"], "snow")
        self.assertNotEqual(v1.record["pixels_sha256"], neg.record["pixels_sha256"])

    def test_errors_are_reported_and_the_server_goes_on(self):
        with self.assertRaises(CavendishError) as e:
            self.pipe.generate("a dog", seed=1, preset="v3")
        self.assertIn("v1 or v2", str(e.exception))
        with self.assertRaises(CavendishError):
            self.pipe.generate("a dog", seed=1, negative_prompt="cat")      # v2 has no unconditional branch
        self.assertEqual(len(self.pipe.generate("a dog", seed=1, steps=1)), 1)


class CommandLineTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def test_jpeg_and_heic_references_and_provenance(self):
        code, out, err = cli("--prompt", PROMPT, "--seed", "2", "--steps", "1", "--reference", f"p1={JPEG},{HEIC}", "--ref-scale", "0.5",
                             "--json", "--out", "r.png", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        ref = json.loads(out)["references"][0]
        digests = []
        for path in (JPEG, HEIC):
            with open(path, "rb") as f:
                digests.append(hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(ref["sha256"], digests)
        _, _, text = png_info(os.path.join(self.tmp, "r.png"))
        self.assertEqual(text["Ref-Scale"], "0.5")
        self.assertEqual(text["References-SHA256"], "p1=" + ",".join(digests))
        self.assertNotIn("Prompt", text)

    def test_sampler_schedule_img2img_preview_and_sheet(self):
        code, out, err = cli("--prompt", "a dog in the snow", "--preset", "v1", "--steps", "4", "--seeds", "1,2", "--out", "a-{seed}.png",
                             "--contact-sheet", "sheet.png", "--json", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        ddim = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(png_info(os.path.join(self.tmp, "sheet.png"))[:2], (2 * 128 + 3 * 4, 128 + 21 + 2 * 4))
        code, out, err = cli("--prompt", "a dog in the snow", "--preset", "v1", "--steps", "4", "--seed", "1", "--sampler", "dpmpp-2m",
                             "--schedule", "karras", "--out", "k.png", "--json", "--preview", "steps", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        dpm = json.loads(out)
        self.assertEqual((dpm["sampler"], dpm["schedule"]), ("dpmpp-2m", "karras"))
        self.assertNotEqual(dpm["pixels_sha256"], ddim[0]["pixels_sha256"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "steps"))), [f"k-step00{i}.png" for i in range(1, 5)])
        # img2img: strength 0 gives the init image back through the VAE, strength 1 is text-to-image.
        init = os.path.join(self.tmp, "a-1.png")
        records = {}
        for strength in ("0", "1"):
            code, out, err = cli("--prompt", "a dog in the snow", "--preset", "v1", "--steps", "4", "--seed", "1", "--init-image", init,
                                 "--strength", strength, "--out", f"i{strength}.png", "--json", cwd=self.tmp)
            self.assertEqual(code, 0, err)
            records[strength] = json.loads(out)
        self.assertEqual(records["1"]["pixels_sha256"], ddim[0]["pixels_sha256"])
        self.assertNotEqual(records["0"]["pixels_sha256"], ddim[0]["pixels_sha256"])
        with open(init, "rb") as f:
            self.assertEqual(records["0"]["init_image_sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(records["0"]["strength"], 0)
        # img2img denoises only the last round(N * strength) steps: previews count them (strength 0: none).
        for strength, previews in (("0", 0), ("0.5", 2)):
            folder = f"pv{strength}"
            code, _, err = cli("--prompt", "a dog in the snow", "--preset", "v1", "--steps", "4", "--seed", "1", "--init-image", init,
                               "--strength", strength, "--out", f"p{strength}.png", "--preview", folder, cwd=self.tmp)
            self.assertEqual(code, 0, err)
            self.assertEqual(len(os.listdir(os.path.join(self.tmp, folder))), previews, strength)
        code, _, err = cli("--prompt", "a dog", "--strength", "0.5", cwd=self.tmp)
        self.assertIn("--init-image", err)

    def test_seed_lists_prompt_files_and_outputs(self):
        with open(os.path.join(self.tmp, "p.jsonl"), "w") as f:
            f.write(json.dumps({"prompt": "a dog in the snow"}) + "\n\n" + json.dumps({"prompt": "a cat", "seed": 9}) + "\n")
        code, out, err = cli("--prompts", "p.jsonl", "--seeds", "1-2", "--steps", "1", "--json", "--contact-sheet", "sheet.png",
                             "--progress", "json", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        records = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(r["prompt_index"], r["seed"]) for r in records], [(0, 1), (0, 2), (1, 9)])
        self.assertEqual([r["out"] for r in records], ["cavendish-v2-0-1.png", "cavendish-v2-0-2.png", "cavendish-v2-1-9.png"])
        for r in records:
            self.assertTrue(os.path.exists(os.path.join(self.tmp, r["out"])))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "sheet.png")))
        steps = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        self.assertEqual(len(steps), 3)
        self.assertEqual(steps[-1], {"event": "step", "image": 2, "images": 3, "seed": 9, "step": 1, "steps": 1})
        # The same files again: refused without --force, nothing overwritten.
        code, _, err = cli("--prompts", "p.jsonl", "--seeds", "1-2", "--steps", "1", cwd=self.tmp)
        self.assertNotEqual(code, 0)
        self.assertIn("exists", err)

    def test_progress_record_prompt_and_force(self):
        code, _, err = cli("--prompt", 'a sign that says "OK"', "--seed", "1", "--steps", "2", "--out", "p.png", "--progress", "bar",
                           "--record-prompt", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        self.assertIn("denoising [", err)
        self.assertEqual(png_info(os.path.join(self.tmp, "p.png"))[2]["Prompt"], 'a sign that says "OK"')
        code, _, err = cli("--prompt", "a dog", "--seed", "1", "--steps", "1", "--out", "p.png", "--progress", "none", "--force", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        self.assertNotIn("[", err)
        self.assertNotIn("Prompt", png_info(os.path.join(self.tmp, "p.png"))[2])    # replaced, not kept

    def test_fresh_seed_count_and_bad_input(self):
        code, out, err = cli("--prompt", "a dog", "--seed", "-1", "--count", "2", "--steps", "1", "--json", "--out", "d-{index}.png", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        seeds = [json.loads(line)["seed"] for line in out.splitlines()]
        self.assertEqual(seeds[1], seeds[0] + 1)
        for args, message in [(["--seeds", "5-2"], "backwards"), (["--seed", "-2"], "-1"), (["--seeds", "1-3", "--out", "same.png"], "same file"),
                              (["--negative-prompt", "x"], "v1"), (["--prompts", "missing.jsonl"], "cannot read"),
                              (["--reference", "p1=" + os.path.join(ROOT, "README.md")], "JPEG, PNG or HEIC")]:
            prompt = [] if "--prompts" in args else ["--prompt", "a photo of <p1>"]
            code, _, err = cli(*prompt, "--steps", "1", *args, cwd=self.tmp)
            self.assertNotEqual(code, 0, args)
            self.assertIn(message, err, args)
            self.assertNotIn("Usage:", err, args)

    def test_json_has_no_float_noise_or_escaped_slashes(self):
        os.makedirs(os.path.join(self.tmp, "sub"))
        code, out, err = cli("--prompt", "a dog", "--seed", "1", "--steps", "1", "--guidance", "2.7", "--json", "--out", "sub/../g.png", cwd=self.tmp)
        self.assertEqual(code, 0, err)
        self.assertIn('"out":"sub/../g.png"', out)
        self.assertIn('"guidance":2.7,', out)
        for token in out.replace(",", " ").replace(":", " ").replace("}", " ").split():
            if token[0].isdigit() and "." in token:
                self.assertLessEqual(len(token.split("e")[0].replace(".", "").lstrip("0")), 6, token)


if __name__ == "__main__":
    unittest.main(verbosity=2)
