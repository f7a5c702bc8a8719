"""Stage `refenc`: identity pre-training of the reference encoder (contrastive, training identities only).

Trained jointly from scratch inside the diffusion loss, the encoder's tokens told the 40 held-out
identities apart no better than chance (probe below: 0%) after 2,800 denoiser steps: the denoiser never got an
identity signal to learn from. This stage gives the encoder one before the denoiser sees it:

    two views of each of B training identities, each view 1-3 library photos (random pose, framing,
    setting, lighting) -> tokens -> mean over the K tokens -> Linear head -> unit vector;
    symmetric InfoNCE over the batch (temperature `tau`).

The head is discarded; the denoiser stages take the encoder (`checkpoints.refenc`) and keep it frozen.
Metric (`probe_top1`): nearest-centroid top-1 among the 40 held-out identities, tokens of 3 photos
against tokens of 3 other photos, chance 2.5%.
"""
from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F

from . import common, world
from .data import HELDOUT
from .models.refenc import ReferenceEncoder, RefEncoderConfig

STAGE = "refenc"
DEFAULTS = dict(total_steps=1200, batch=32, max_view_photos=3, lr=5e-4, warmup=50, tau=0.1,
                checkpoint_seconds=300, seed=5, eval_every=200, bf16=1)


def _photos(kind: str, split: str, index: int, seeds: list, max_refs: int):
    """[max_refs,3,64,64] in [-1, 1] (zero padded) and the mask of real photos."""
    x = np.zeros((max_refs, 64, 64, 3), np.float32)
    for k, s in enumerate(seeds):
        x[k] = world.reference_photo(kind, split, index, s, 64) / 127.5 - 1.0
    mask = np.arange(max_refs) < len(seeds)
    return torch.from_numpy(x).permute(0, 3, 1, 2), torch.from_numpy(mask)


def embed(ref: ReferenceEncoder, photos: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """photos [N,R,3,64,64], mask [N,R] -> [N, dim]: the person's tokens averaged (slot <p1> for all)."""
    tok, _ = ref(photos[:, None], mask[:, None])
    return tok.mean(dim=1)


def view_batch(seed: int, B: int, max_photos: int, max_refs: int):
    """Two views of B distinct training identities: photos [2B,R,3,64,64], mask [2B,R]."""
    r = random.Random(seed)
    people = set()
    while len(people) < B:
        kind = "pet" if r.random() < 0.22 else "person"
        people.add((kind, r.randrange(world.NUM_IDENTITIES[("train", kind)])))
    views = []
    for _ in range(2):
        for kind, idx in sorted(people):
            views.append(_photos(kind, "train", idx, [r.randrange(1 << 40) for _ in range(r.randint(1, max_photos))], max_refs))
    return torch.stack([v[0] for v in views]), torch.stack([v[1] for v in views])


@torch.no_grad()
def probe_top1(ref: ReferenceEncoder) -> float:
    """Nearest-centroid top-1 over the held-out identities: 3 photos (seeds 7000+) vs 3 others (9000+)."""
    ref.eval()
    R = ref.config.max_refs
    sets = [[_photos(kind, "heldout", idx, [base + 10 * j + k for k in range(3)], R) for j, (kind, idx) in enumerate(HELDOUT)]
            for base in (7_000, 9_000)]
    e, q = (embed(ref, torch.stack([p for p, _ in s]), torch.stack([m for _, m in s])).flatten(1) for s in sets)
    e, q = F.normalize(e - e.mean(0), dim=1), F.normalize(q - q.mean(0), dim=1)
    return float((torch.argmax(q @ e.T, dim=1) == torch.arange(len(HELDOUT))).float().mean())


def run(device, deadline: common.Deadline, overrides: dict | None = None):
    res = common.Resume(STAGE, DEFAULTS, overrides)
    if res.done:
        return True
    cfg = res.cfg
    torch.manual_seed(cfg["seed"])
    log = common.Log(STAGE)
    ref = ReferenceEncoder(RefEncoderConfig()).to(device)
    head = torch.nn.Linear(ref.config.dim, 128).to(device)
    params = list(ref.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.01)
    step, metrics = res.restore({"ref": ref, "head": head}, opt)
    if "probe_top1_start" not in metrics:
        metrics["probe_top1_start"] = probe_top1(ref)
        log.write(step=step, probe_top1=metrics["probe_top1_start"])

    def save(done=False):
        common.save_checkpoint(STAGE, {"ref": ref.state_dict(), "head": head.state_dict(), "optimizer": opt.state_dict(),
                                       "step": step, "done": done, "train_config": cfg, "ref_config": ref.config.to_dict(),
                                       "torch_rng": torch.get_rng_state(), "generator_version": world.GENERATOR_VERSION,
                                       "metrics": metrics})

    checkpointer = common.Checkpointer(STAGE, cfg["checkpoint_seconds"], deadline, save)
    total, B = cfg["total_steps"], cfg["batch"]
    labels = torch.cat([torch.arange(B, 2 * B), torch.arange(0, B)]).to(device)
    ref.train()
    while step < total:
        photos, mask = view_batch(common.step_seed(STAGE, step), B, cfg["max_view_photos"], ref.config.max_refs)
        lr = common.cosine_lr(step, total, cfg["lr"], cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(cfg["bf16"])):
            h = head(embed(ref, photos.to(device), mask.to(device)))
        z = F.normalize(h.float(), dim=1)
        sim = z @ z.T / cfg["tau"]
        sim = sim.masked_fill(torch.eye(2 * B, dtype=torch.bool, device=device), float("-inf"))
        loss = F.cross_entropy(sim, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if step % 20 == 0:
            log.write(step=step, loss=loss.item(), lr=lr,
                      batch_top1=float((sim.argmax(1) == labels).float().mean()))
        if step % cfg["eval_every"] == 0 or step == total:
            metrics["probe_top1"] = probe_top1(ref)
            ref.train()
            log.write(step=step, probe_top1=metrics["probe_top1"])
        if checkpointer.should_stop(step):
            return False
    save(done=True)
    log.write(step=step, done=1)
    return True
