"""A small convolutional VAE: 128x128x3 <-> 32x32x4 (downsample 4), with an optional glyph-conditioned
decoder.

The 4-channel latent at 1/4 resolution loses the strokes of small letters (Tesseract reads 82% as many
words on reconstructions as on the originals), and a denoiser's latent is blurrier still. With
`glyph_conditioning` the decoder also takes the glyph map of the prompt's quoted text (the exact pixels
where the letters' ink goes, a function of the prompt alone) and adds it at every resolution level, as
the asymmetric VQGAN conditions its decoder on the known pixels: the latent says what colours the board
and the ink are, the glyph map says where the strokes are. An all-zero map (v1, prompts without quoted
text) asks for the unconditioned decoder's output; the branches are zero-initialised, so a new one
starts as exactly the decoder it extends.

Ops: Conv, GroupNormalization, Sigmoid/Mul (SiLU), Add, Resize (nearest, x2), Exp/Mul for sampling.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VAEConfig:
    in_channels: int = 3
    latent_channels: int = 4
    channels: tuple = (32, 64, 128)   # per resolution level, full res first; downsample = 2**(len-1)
    groups: int = 8
    scale_factor: float = 1.0         # latents fed to the denoiser are (mean - shift) * scale_factor
    shift_factor: float = 0.0
    glyph_conditioning: bool = False  # decoder takes the [B,1,S,S] glyph map too (see the module doc)

    def to_dict(self):
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d


def silu(x):
    return x * torch.sigmoid(x)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-6)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-6)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        y = self.conv1(silu(self.norm1(x)))
        y = self.conv2(silu(self.norm2(y)))
        return y + (self.skip(x) if self.skip is not None else x)


class Encoder(nn.Module):
    def __init__(self, c: VAEConfig):
        super().__init__()
        ch = c.channels
        self.conv_in = nn.Conv2d(c.in_channels, ch[0], 3, padding=1)
        self.blocks = nn.ModuleList()
        self.downs = nn.ModuleList()
        for i in range(len(ch)):
            self.blocks.append(ResBlock(ch[i], ch[i], c.groups))
            if i + 1 < len(ch):
                self.downs.append(nn.Conv2d(ch[i], ch[i + 1], 3, stride=2, padding=1))
        self.mid = ResBlock(ch[-1], ch[-1], c.groups)
        self.norm_out = nn.GroupNorm(c.groups, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], 2 * c.latent_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for i, blk in enumerate(self.blocks):
            h = blk(h)
            if i < len(self.downs):
                h = self.downs[i](h)
        h = self.mid(h)
        return self.conv_out(silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, c: VAEConfig):
        super().__init__()
        ch = list(reversed(c.channels))
        self.conv_in = nn.Conv2d(c.latent_channels, ch[0], 3, padding=1)
        self.mid = ResBlock(ch[0], ch[0], c.groups)
        self.blocks = nn.ModuleList()
        self.ups = nn.ModuleList()
        for i in range(len(ch)):
            self.blocks.append(ResBlock(ch[i], ch[i], c.groups))
            if i + 1 < len(ch):
                self.ups.append(nn.Conv2d(ch[i], ch[i + 1], 3, padding=1))   # after nearest x2
        self.norm_out = nn.GroupNorm(c.groups, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], c.in_channels, 3, padding=1)
        self.glyph_in = None
        if c.glyph_conditioning:
            # Level i runs at 1/f of the image (f = 2**(levels-1-i)): a conv with kernel and stride f reads each
            # f x f block of the glyph map (the last level, f = 1, a 3x3 conv). No bias, so an all-zero map adds
            # exactly nothing; zero-initialised.
            self.glyph_in = nn.ModuleList()
            for i in range(len(ch)):
                f = 1 << (len(ch) - 1 - i)
                conv = (nn.Conv2d(1, ch[i], 3, padding=1, bias=False) if f == 1
                        else nn.Conv2d(1, ch[i], f, stride=f, bias=False))
                nn.init.zeros_(conv.weight)
                self.glyph_in.append(conv)

    def forward(self, z, glyph=None):
        h = self.mid(self.conv_in(z))
        for i, blk in enumerate(self.blocks):
            if self.glyph_in is not None and glyph is not None:
                h = h + self.glyph_in[i](glyph)
            h = blk(h)
            if i < len(self.ups):
                h = self.ups[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(silu(self.norm_out(h)))


class VAE(nn.Module):
    """Images in [-1, 1]. encode() -> (mean, logvar) of the unscaled latent."""

    def __init__(self, c: VAEConfig | None = None):
        super().__init__()
        self.config = c or VAEConfig()
        self.encoder = Encoder(self.config)
        self.decoder = Decoder(self.config)

    def encode(self, x):
        m = self.encoder(x)
        mean, logvar = m.chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z, glyph=None):
        """glyph: the [B,1,S,S] glyph map (0/1) for a glyph-conditioned decoder; None = no quoted text."""
        return self.decoder(z, glyph)

    def forward(self, x, sample=True):
        mean, logvar = self.encode(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean) if sample else mean
        return self.decode(z), mean, logvar

    # denoiser-space helpers
    def to_latent(self, mean):
        return (mean - self.config.shift_factor) * self.config.scale_factor

    def from_latent(self, z):
        return z / self.config.scale_factor + self.config.shift_factor
