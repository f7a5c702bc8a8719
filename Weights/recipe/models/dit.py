"""The NB-mini denoiser: a small DiT over the 32x32x4 VAE latent.

Per block (PixArt-style with IP-Adapter decoupled cross-attention):
    mod = Linear(SiLU(c)) -> shift1, scale1, gate1, shift2, scale2, gate2         (adaLN-zero)
    x = x + gate1 * SelfAttn(LN(x) * (1 + scale1) + shift1)
    q = LN_c(x)
    x = x + CrossAttn(q, text) + ref_scale * CrossAttn_ref(q, reference tokens)   (shared query)
    x = x + gate2 * MLP(LN(x) * (1 + scale2) + shift2)
c = TimestepMLP(sincos(t)) + Linear(masked mean of text states) [+ GuidanceMLP(sincos(w)) in v2].
v2 adds glyph tokens: the 128x128 glyph map is cut into 8x8 patches (aligned with the 2x2 latent
patches), each patch goes through Linear-SiLU-Linear (last layer zero-initialised) and is added to
the patch embedding.
v2 with `layout` (layout-grounded personalization, as GLIGEN and MS-Diffusion ground subjects in boxes):
a [B, N, P] 0/1 map says which image tokens belong to which person's region (layout.py: one vertical
strip per subject, left to right, as the world places them). Each token's reference cross-attention
then sees only the tokens of the persons whose region it is in (and the null token), and the mean of
those persons' appearance embeddings (MLP of each person's mean reference token, last layer
zero-initialised) is added to its patch embedding, scaled by ref_scale like the reference attention. An all-ones map is the unmasked model plus the mean
appearance: layout dropout in training trains it, so a prompt can go without a layout.
v2 with `canvas` (spatial control from the references, canvas.py): a [B, 4, 128, 128] canvas holds each
person's first reference photo pasted into that person's box plus a box-mask channel; it is cut into 8x8
patches like the glyph map, each goes through Linear-SiLU-Linear (last layer zero-initialised), is
weighted by the fraction of the patch inside a box (so tokens outside every box, and a canvas with no
boxes, get exactly nothing) and by ref_scale, and is added to the patch embedding.

Ops: MatMul/Gemm, LayerNormalization, Softmax (via Attention), Gelu (erf), Sigmoid, Mul, Add,
Reshape, Transpose, Concat, Sin, Cos, Exp, Where (attention masks), ReduceSum, Div.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..canvas import CHANNELS as CANVAS_CHANNELS


@dataclass
class DiTConfig:
    latent_channels: int = 4
    latent_size: int = 32
    patch: int = 2
    width: int = 256
    depth: int = 6
    heads: int = 4
    mlp_ratio: float = 4.0
    text_dim: int = 384
    ref_dim: int = 256
    freq_dim: int = 256
    glyph: bool = False          # v2: glyph tokens
    guidance_embed: bool = False  # v2: distilled guidance scale as an input
    image_size: int = 128
    layout: bool = False          # v2: layout-grounded reference attention + appearance map
    canvas: bool = False          # v2: reference photos pasted into the subjects' boxes (canvas.py)

    def to_dict(self):
        return asdict(self)


def silu(x):
    return x * torch.sigmoid(x)


def timestep_features(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """[B] -> [B, dim]: cat(cos(t*1000*f), sin(t*1000*f)), f_i = exp(-ln(max_period) * i / (dim/2))."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def sincos_2d(width: int, grid: int) -> np.ndarray:
    """Fixed 2D sin-cos position embedding [grid*grid, width] (row-major tokens)."""
    def one(dim, pos):
        omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2.0))
        out = pos.reshape(-1)[:, None] * omega[None]
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    gy, gx = np.meshgrid(np.arange(grid, dtype=np.float64), np.arange(grid, dtype=np.float64), indexing="ij")
    return np.concatenate([one(width // 2, gy), one(width // 2, gx)], axis=1).astype(np.float32)


class MLP2(nn.Module):
    def __init__(self, din, dh, dout):
        super().__init__()
        self.fc1 = nn.Linear(din, dh)
        self.fc2 = nn.Linear(dh, dout)

    def forward(self, x):
        return self.fc2(silu(self.fc1(x)))


def attention(q, k, v, heads, mask=None):
    """q [B,N,D], k/v [B,M,D], mask [B,M] or per query [B,N,M] bool (True = attend) -> [B,N,D]."""
    B, N, D = q.shape
    M = k.shape[1]
    hd = D // heads
    q = q.reshape(B, N, heads, hd).transpose(1, 2)
    k = k.reshape(B, M, heads, hd).transpose(1, 2)
    v = v.reshape(B, M, heads, hd).transpose(1, 2)
    am = None if mask is None else mask[:, None, None, :] if mask.dim() == 2 else mask[:, None]
    if torch.onnx.is_in_onnx_export():
        # the same computation spelled with MatMul / Where / Softmax for a clean ONNX graph
        s = torch.matmul(q, k.transpose(-1, -2)) * (hd ** -0.5)
        if am is not None:
            s = torch.where(am, s, torch.tensor(float("-inf"), dtype=s.dtype))
        o = torch.matmul(torch.softmax(s, dim=-1), v)
    elif torch.is_autocast_enabled(q.device.type):
        # bf16 training: CPU flash attention is slow in bf16, so attention itself runs in float32
        with torch.autocast(q.device.type, enabled=False):
            o = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=am)
    else:
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=am)
    return o.transpose(1, 2).reshape(B, N, D)


class Block(nn.Module):
    def __init__(self, c: DiTConfig):
        super().__init__()
        D = c.width
        self.heads = c.heads
        self.norm1 = nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)
        self.norm_cross = nn.LayerNorm(D, eps=1e-6)
        self.cross_q = nn.Linear(D, D)
        self.cross_kv = nn.Linear(c.text_dim, 2 * D)
        self.cross_proj = nn.Linear(D, D)
        self.ref_kv = nn.Linear(c.ref_dim, 2 * D)      # decoupled: own keys/values, shared query
        self.ref_proj = nn.Linear(D, D)
        self.norm2 = nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)
        self.mlp_fc1 = nn.Linear(D, int(D * c.mlp_ratio))
        self.mlp_fc2 = nn.Linear(int(D * c.mlp_ratio), D)
        self.ada = nn.Linear(D, 6 * D)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)
        nn.init.zeros_(self.ref_proj.weight)
        nn.init.zeros_(self.ref_proj.bias)

    def forward(self, x, c, text, text_mask, ref, ref_mask, ref_scale):
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(silu(c))[:, None].chunk(6, dim=-1)
        h = self.norm1(x) * (1 + sc1) + sh1
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        x = x + g1 * self.proj(attention(q, k, v, self.heads))
        q = self.cross_q(self.norm_cross(x))
        tk, tv = self.cross_kv(text).chunk(2, dim=-1)
        y = self.cross_proj(attention(q, tk, tv, self.heads, text_mask))
        rk, rv = self.ref_kv(ref).chunk(2, dim=-1)
        y = y + ref_scale * self.ref_proj(attention(q, rk, rv, self.heads, ref_mask))
        x = x + y
        h = self.norm2(x) * (1 + sc2) + sh2
        x = x + g2 * self.mlp_fc2(F.gelu(self.mlp_fc1(h)))
        return x


class DiT(nn.Module):
    def __init__(self, c: DiTConfig | None = None):
        super().__init__()
        self.config = c = c or DiTConfig()
        D = c.width
        p = c.patch
        self.grid = c.latent_size // p
        self.patch_embed = nn.Linear(c.latent_channels * p * p, D)
        self.register_buffer("pos_embed", torch.from_numpy(sincos_2d(D, self.grid)), persistent=True)
        self.t_embed = MLP2(c.freq_dim, D, D)
        self.text_pool = nn.Linear(c.text_dim, D)
        if c.guidance_embed:
            self.g_embed = MLP2(c.freq_dim, D, D)
            nn.init.zeros_(self.g_embed.fc2.weight)
            nn.init.zeros_(self.g_embed.fc2.bias)
        gp = (c.image_size // c.latent_size) * p      # image pixels per token side (8)
        self.glyph_patch = gp
        if c.glyph:
            self.glyph_embed = MLP2(gp * gp, D, D)
            nn.init.zeros_(self.glyph_embed.fc2.weight)
            nn.init.zeros_(self.glyph_embed.fc2.bias)
        if c.layout:
            self.app_embed = MLP2(c.ref_dim, D, D)
            nn.init.zeros_(self.app_embed.fc2.weight)
            nn.init.zeros_(self.app_embed.fc2.bias)
        if c.canvas:
            self.canvas_embed = MLP2(CANVAS_CHANNELS * (c.image_size // c.latent_size * p) ** 2, D, D)
            nn.init.zeros_(self.canvas_embed.fc2.weight)
            nn.init.zeros_(self.canvas_embed.fc2.bias)
        self.null_ref = nn.Parameter(torch.zeros(1, 1, c.ref_dim))   # always-present reference key
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.depth)])
        self.norm_out = nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Linear(D, 2 * D)
        self.out = nn.Linear(D, c.latent_channels * p * p)
        for m in (self.ada_out, self.out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    # [B,C,H,W] -> [B, (H/p)*(W/p), C*p*p] with (C, py, px) innermost order
    @staticmethod
    def patchify(x, p):
        B, C, H, W = x.shape
        x = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5)
        return x.reshape(B, (H // p) * (W // p), C * p * p)

    def unpatchify(self, x):
        B = x.shape[0]
        p, g, C = self.config.patch, self.grid, self.config.latent_channels
        x = x.reshape(B, g, g, C, p, p).permute(0, 3, 1, 4, 2, 5)
        return x.reshape(B, C, g * p, g * p)

    def forward(self, x, t, text, text_mask, ref=None, ref_mask=None, ref_scale: float = 1.0,
                glyph=None, guidance=None, layout=None, canvas=None):
        """x [B,4,32,32]; t [B] in [0,1]; text [B,L,384]; text_mask [B,L] bool; ref [B,R,ref_dim] and
        ref_mask [B,R] (or None); glyph [B,1,128,128] in {0,1} (v2); guidance [B] (v2); layout [B,N,P]
        0/1 with R = P*K (v2 with layout; None = no layout input); canvas [B,4,128,128] (v2 with canvas; None =
        none). Returns v."""
        B = x.shape[0]
        c = self.config
        h = self.patch_embed(self.patchify(x, c.patch)) + self.pos_embed[None]
        if c.glyph:
            if glyph is None:
                glyph = torch.zeros(B, 1, c.image_size, c.image_size, device=x.device)
            h = h + self.glyph_embed(self.patchify(glyph, self.glyph_patch))
        if c.canvas and canvas is not None:
            patches = self.patchify(canvas, self.glyph_patch)             # [B, N, 4*8*8], channel-major
            inside = patches[..., -self.glyph_patch ** 2:].mean(-1, keepdim=True)   # the mask channel
            h = h + ref_scale * inside * self.canvas_embed(patches)
        m = text_mask.to(text.dtype)[..., None]
        pooled = (text * m).sum(1) / m.sum(1)          # [CLS] and [SEP] are always unmasked
        cond = self.t_embed(timestep_features(t, c.freq_dim)) + self.text_pool(pooled)
        if c.guidance_embed:
            if guidance is None:
                guidance = torch.ones(B, device=x.device)
            cond = cond + self.g_embed(timestep_features(guidance / 1000.0 * 100.0, c.freq_dim))
        null = self.null_ref.expand(B, 1, c.ref_dim)
        if ref is not None and c.layout and layout is not None:
            P = layout.shape[2]
            K = ref.shape[1] // P
            lay = layout.to(h.dtype) * ref_mask.reshape(B, P, K)[:, None, :, 0].to(h.dtype)   # persons with photos
            weights = lay / lay.sum(-1, keepdim=True).clamp_min(1.0)
            h = h + ref_scale * (weights @ self.app_embed(ref.reshape(B, P, K, -1).mean(2)))   # ref_scale: both paths
            ones = torch.ones(B, h.shape[1], 1, dtype=torch.bool, device=x.device)
            ref_mask = torch.cat([ones, lay.repeat_interleave(K, dim=2) > 0], dim=2)   # [B, N, 1+R]
            ref = torch.cat([null, ref], dim=1)
        elif ref is None:
            ref, ref_mask = null, torch.ones(B, 1, dtype=torch.bool, device=x.device)
        else:
            ref = torch.cat([null, ref], dim=1)
            ref_mask = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=x.device), ref_mask], dim=1)
        for blk in self.blocks:
            h = blk(h, cond, text, text_mask, ref, ref_mask, ref_scale)
        sh, sc = self.ada_out(silu(cond))[:, None].chunk(2, dim=-1)
        h = self.norm_out(h) * (1 + sc) + sh
        return self.unpatchify(self.out(h))
