"""Noise schedule and samplers (shared by training, evaluation, golden tensors; Swift mirrors this).

Continuous time t in [0, 1]: alpha(t) = cos(pi t / 2), sigma(t) = sin(pi t / 2),
x_t = alpha x_0 + sigma eps, and the network predicts v = alpha eps - sigma x_0.
From v: x_0 = alpha x_t - sigma v, eps = sigma x_t + alpha v.
DDIM (eta = 0) from t to s: x_s = alpha(s) x_0 + sigma(s) eps.
Time grid for N steps: t_i = (N - i) / N, i = 0..N (t = 1 is pure noise, t = 0 the image).
"""
from __future__ import annotations

import math

import torch


def alpha_sigma(t: torch.Tensor):
    return torch.cos(0.5 * math.pi * t), torch.sin(0.5 * math.pi * t)


def add_noise(x0, eps, t):
    a, s = alpha_sigma(t)
    a, s = a.view(-1, 1, 1, 1), s.view(-1, 1, 1, 1)
    return a * x0 + s * eps, a * eps - s * x0


def time_grid(steps: int) -> list:
    return [(steps - i) / steps for i in range(steps + 1)]


def ddim_step(x, v, t: float, s: float):
    a_t, s_t = math.cos(0.5 * math.pi * t), math.sin(0.5 * math.pi * t)
    a_s, s_s = math.cos(0.5 * math.pi * s), math.sin(0.5 * math.pi * s)
    x0 = a_t * x - s_t * v
    eps = s_t * x + a_t * v
    return a_s * x0 + s_s * eps


@torch.no_grad()
def sample(model_fn, noise: torch.Tensor, steps: int, start: int = 0):
    """model_fn(x, t_tensor) -> v (already guided). Returns x_0 (latent).

    start > 0 runs only steps start..steps-1 of the same grid, from x at time t_start (img2img: see
    pipeline.img2img_start); start = 0 is the usual sampling from pure noise."""
    x = noise
    grid = time_grid(steps)
    for i in range(start, steps):
        t = torch.full((x.shape[0],), grid[i], dtype=x.dtype, device=x.device)
        x = ddim_step(x, model_fn(x, t), grid[i], grid[i + 1])
    return x
