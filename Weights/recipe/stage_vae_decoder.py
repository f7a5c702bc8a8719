"""Stage `vae-decoder`: fine-tune the VAE decoder for legible text, the encoder frozen; the decoder is
glyph-conditioned (models/vae.py: the glyph map of the quoted text added at every resolution level).

Why: the 4-channel, 1/4-resolution latent loses small strokes. Tesseract read 82% as many words on plain
reconstructions as on the originals, a text-weighted fine-tune of the plain decoder did not move that
(32 of 39 words before and after), and v2's latents are blurrier still (its letters read "HFLLO"). The
glyph map says exactly where the ink goes, so the decoder only has to take the colours from the latent.

The stage trains the decoder alone, encoder frozen (so the latent space, the latent cache and both
denoisers stay valid), starting from the committed decoder with the glyph branches at zero. Batches mix
scenes with text and their glyph map, scenes with text and an all-zero map (`p_glyph_drop`: v1 and
prompts without quotes must still decode as before), and scenes without text (`p_plain`). In a share
`p_degrade` of the text scenes the latent inside the text's box is blurred and noised, as a denoiser's
latent is, so that the decoder learns to take the strokes from the glyph map, not from the latent. The
error inside the text's box (3 px margin) is weighted by 1 + text_weight. Validation logs held-out PSNR
and text survival on scene seeds 1_600_000_000+, which the evaluation (1_500_000_000+) never uses.
"""
from __future__ import annotations

import dataclasses
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoints, common, data, glyph, measure, world
from .models.vae import VAE

STAGE = "vae-decoder"
DEFAULTS = dict(total_steps=2000, batch=6, lr=1e-4, warmup=50, text_weight=10.0, size=128, p_plain=0.15,
                p_glyph_drop=0.15, p_degrade=0.5, degrade_blur=1, glyph_lr_mult=30.0, checkpoint_seconds=300, eval_every=500, seed=5)
VALIDATION_SEED = 1_600_000_000


def text_batch(seed: int, batch: int, size: int, p_plain: float, p_glyph_drop: float):
    """Images [B,3,S,S] in [-1,1], text-box masks [B,1,S,S] and the glyph maps the decoder is given
    [B,1,S,S]: a share p_plain of scenes without text, and a share p_glyph_drop of text scenes given an
    all-zero map."""
    r = random.Random(seed)
    imgs, masks, maps = [], [], []
    for _ in range(batch):
        plain = r.random() < p_plain
        sc = world.sample_scene(r.randrange(1 << 40), "train", size, p_text=0.0 if plain else 1.0)
        imgs.append(world.render(sc)[0])
        m = np.zeros((size, size), np.float32)
        box = glyph.glyph_box(sc.text, size)
        if box is not None:
            x0, y0, x1, y1 = box
            m[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = 1.0
        masks.append(m)
        drop = not sc.text or r.random() < p_glyph_drop
        maps.append(np.zeros((size, size), np.float32) if drop else glyph.glyph_map(sc.text, size))
    return (data.to_tensor(imgs), torch.from_numpy(np.stack(masks))[:, None],
            torch.from_numpy(np.stack(maps))[:, None])


def degrade(z: torch.Tensor, box: torch.Tensor, p: float, g: torch.Generator, passes: int = 1) -> torch.Tensor:
    """In a share p of the samples, blurs the latent inside the text box (box max-pooled to the latent;
    `passes` 3x3 box filters) by a random amount and adds noise, as a denoiser's latent is blurred and
    noisy there."""
    B = z.shape[0]
    f = box.shape[-1] // z.shape[-1]
    m = F.max_pool2d(box, f) * (torch.rand(B, 1, 1, 1, generator=g) < p)
    blur = z
    for _ in range(passes):
        blur = F.avg_pool2d(blur, 3, stride=1, padding=1, count_include_pad=False)
    a = torch.rand(B, 1, 1, 1, generator=g)
    noise = torch.randn(z.shape, generator=g) * 0.3 * torch.rand(B, 1, 1, 1, generator=g)
    return z + m * (a * (blur - z) + noise)


def train_step(vae, opt, x, box, gmap, text_weight: float, p_degrade: float, g: torch.Generator, passes: int = 1):
    """One decoder step on images x with text-box masks box and glyph maps gmap; returns (loss, mean L1
    inside the boxes)."""
    with torch.no_grad():
        z = degrade(vae.encode(x)[0], box, p_degrade, g, passes)
    rec = vae.decode(z, gmap)
    err = (rec - x).abs() + (rec - x) ** 2
    loss = (err * (1 + text_weight * box)).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(vae.decoder.parameters(), 1.0)
    opt.step()
    text_l1 = ((rec.detach() - x).abs() * box).sum() / box.sum().clamp_min(1) / x.shape[1]
    return loss.item(), text_l1.item()


def validate(vae, device) -> dict:
    vae.eval()
    out = {"heldout_psnr_db": measure.heldout_psnr(vae, device)}
    words = measure.text_survival(vae, VALIDATION_SEED)
    if words is not None:
        out["validation_words_original"], out["validation_words_reconstructed"] = words
    vae.decoder.train()
    return out


def run(device, deadline: common.Deadline, overrides: dict | None = None):
    res = common.Resume(STAGE, DEFAULTS, overrides)
    if res.done:
        return True
    cfg = res.cfg
    torch.manual_seed(cfg["seed"])
    log = common.Log(STAGE)
    vck = common.load_checkpoint("vae")
    if vck is None or not vck.get("done"):
        raise SystemExit(f"[{STAGE}] the VAE stage has not finished")
    plain = checkpoints.vae(device, finetuned_decoder=False)   # the encoder only runs under no_grad
    vae = VAE(dataclasses.replace(plain.config, glyph_conditioning=True)).to(device)
    missing, _ = vae.load_state_dict(plain.state_dict(), strict=False)   # the glyph branches start at zero
    assert all(k.startswith("decoder.glyph_in.") for k in missing), missing
    vae.eval()
    # The glyph branches start at zero beside weights already trained: at the base rate they would take the
    # whole stage to reach a useful size (mean |w| 0.005 after 500 steps in a first run), so they learn faster.
    branch = list(vae.decoder.glyph_in.parameters())
    rest = [p for n, p in vae.decoder.named_parameters() if not n.startswith("glyph_in.")]
    opt = torch.optim.AdamW([{"params": rest, "mult": 1.0}, {"params": branch, "mult": cfg["glyph_lr_mult"]}],
                            lr=cfg["lr"], weight_decay=0.0, betas=(0.9, 0.99))
    step, metrics = res.restore({"decoder": vae.decoder}, opt)
    opt.param_groups[1]["mult"] = cfg["glyph_lr_mult"]   # the config, not the saved optimizer, says how fast
    if res.ck is None:
        metrics["start"] = validate(vae, device)
        log.write(step=0, **metrics["start"])
    total = cfg["total_steps"]

    def save(done=False):
        common.save_checkpoint(STAGE, {
            "decoder": vae.decoder.state_dict(), "optimizer": opt.state_dict(), "step": step, "done": done,
            "train_config": cfg, "vae_step": vck["step"], "torch_rng": torch.get_rng_state(),
            "generator_version": world.GENERATOR_VERSION, "metrics": metrics})

    checkpointer = common.Checkpointer(STAGE, cfg["checkpoint_seconds"], deadline, save)
    vae.decoder.train()
    t0, seen = time.time(), 0
    while step < total:
        seed = common.step_seed(STAGE, step)
        x, box, gmap = text_batch(seed, cfg["batch"], cfg["size"], cfg["p_plain"], cfg["p_glyph_drop"])
        x, box, gmap = x.to(device), box.to(device), gmap.to(device)
        lr = common.cosine_lr(step, total, cfg["lr"], cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr * g["mult"]
        loss, text_l1 = train_step(vae, opt, x, box, gmap, cfg["text_weight"], cfg["p_degrade"],
                                   torch.Generator().manual_seed(seed), cfg["degrade_blur"])
        step += 1
        seen += 1
        if step % 25 == 0:
            dt = time.time() - t0
            log.write(step=step, loss=loss, text_l1=text_l1, lr=lr, steps_per_s=seen / dt)
            t0, seen = time.time(), 0
        if step % cfg["eval_every"] == 0 or step == total:
            metrics["last"] = {"step": step, **validate(vae, device)}
            log.write(**metrics["last"])
        if checkpointer.should_stop(step):
            return False
    save(done=True)
    log.write(step=step, done=1)
    return True
