"""Reference encoder: 1-4 photos of a person (64x64) -> K tokens, bound to the person's placeholder.

    features = CNN(photo)                        # [16 positions, 128] per photo (4x4 grid)
    f = Linear(features) + pos[16]               # [R*16, ref_dim], masked by the valid photos
    tokens = queries[K]                          # learned
    2x: tokens = tokens + Attn(LN(tokens), f, f); tokens = tokens + MLP(LN(tokens))
    tokens = LN_out(tokens) + slot[p]            # slot embedding of placeholder <p{p+1}>

Ops: Conv, GroupNormalization, Sigmoid/Mul, MatMul, LayerNormalization, Attention, Gelu, Gather.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .dit import attention, silu


@dataclass
class RefEncoderConfig:
    image_size: int = 64
    tokens: int = 8            # K
    dim: int = 256
    heads: int = 4
    max_people: int = 5
    max_refs: int = 4
    layers: int = 2

    def to_dict(self):
        return asdict(self)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.down = nn.Conv2d(cin, cout, 3, stride=2, padding=1)
        self.norm = nn.GroupNorm(8, cout, eps=1e-6)
        self.conv = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        h = self.down(x)
        return h + self.conv(silu(self.norm(h)))


class ResamplerLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm_q = nn.LayerNorm(dim, eps=1e-6)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm_mlp = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, tok, feats, mask):
        k, v = self.kv(feats).chunk(2, dim=-1)
        tok = tok + self.proj(attention(self.q(self.norm_q(tok)), k, v, self.heads, mask))
        return tok + self.fc2(F.gelu(self.fc1(self.norm_mlp(tok))))


class ReferenceEncoder(nn.Module):
    def __init__(self, c: RefEncoderConfig | None = None):
        super().__init__()
        self.config = c = c or RefEncoderConfig()
        self.cnn = nn.ModuleList([ConvBlock(3, 32), ConvBlock(32, 64), ConvBlock(64, 128), ConvBlock(128, 128)])
        self.feat_proj = nn.Linear(128, c.dim)
        self.feat_pos = nn.Parameter(torch.randn(1, (c.image_size // 16) ** 2, c.dim) * 0.02)
        self.queries = nn.Parameter(torch.randn(1, c.tokens, c.dim) * 0.02)
        self.layers = nn.ModuleList([ResamplerLayer(c.dim, c.heads) for _ in range(c.layers)])
        self.norm_out = nn.LayerNorm(c.dim, eps=1e-6)
        self.slot = nn.Embedding(c.max_people, c.dim)

    def features(self, flat):
        """[N,3,64,64] -> [N, 16, dim]: CNN features + projection + learned positions."""
        h = flat
        for blk in self.cnn:
            h = blk(h)
        return self.feat_proj(h.flatten(2).transpose(1, 2)) + self.feat_pos

    def resample(self, f, mask=None):
        """[N, M, dim] features (mask [N, M] or None = all real) -> [N, K, dim] (before the slot)."""
        c = self.config
        tok = self.queries.expand(f.shape[0], c.tokens, c.dim)
        for layer in self.layers:
            tok = layer(tok, f, mask)
        return self.norm_out(tok)

    def person_tokens(self, photos):
        """Mask-free path (what the Swift pipeline runs per person): photos [N,R,3,64,64], all real ->
        [N, K, dim] without the slot embedding. Add `slot.weight[p]` for placeholder <p{p+1}>."""
        N, R = photos.shape[:2]
        c = self.config
        f = self.features(photos.reshape(N * R, 3, c.image_size, c.image_size))
        return self.resample(f.reshape(N, R * f.shape[1], c.dim))

    def forward(self, photos, photo_mask):
        """photos [B,P,R,3,64,64] in [-1,1]; photo_mask [B,P,R] bool (True = real photo).
        Returns tokens [B, P*K, dim] and token mask [B, P*K] (a person with no photo is masked out)."""
        B, P, R = photos.shape[:3]
        c = self.config
        flat = photos.reshape(B * P * R, 3, c.image_size, c.image_size)
        valid = photo_mask.reshape(B * P * R).nonzero().squeeze(1)
        fv = self.features(flat[valid])                      # only real photos go through the CNN
        n = fv.shape[1]
        f = torch.zeros((B * P * R, n, c.dim), dtype=fv.dtype, device=fv.device).index_copy(0, valid, fv)
        f = f.reshape(B * P, R * n, c.dim)
        fm = photo_mask.reshape(B * P, R, 1).expand(B * P, R, n).reshape(B * P, R * n)
        fm = fm | ~fm.any(dim=1, keepdim=True)        # empty person: attend to padding (then masked below)
        tok = self.resample(f, fm).reshape(B, P, c.tokens, c.dim)
        tok = tok + self.slot.weight[:P][None, :, None, :]
        person = photo_mask.any(dim=2)                                             # [B,P]
        mask = person[:, :, None].expand(B, P, c.tokens).reshape(B, P * c.tokens)
        return tok.reshape(B, P * c.tokens, c.dim), mask
