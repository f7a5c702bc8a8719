"""Stage `vae-decoder`: fine-tune the VAE decoder for legible text, the encoder frozen.

The `vae` stage reconstructs held-out scenes at 30.8 dB, yet Tesseract read only 82% as many words on
its reconstructions as on the originals (target 90%): the letters are a few percent of the pixels, so a
plain L1 + MSE loss hardly sees them. This stage trains the decoder alone, on scenes that all carry
text, with the error inside the text's box (3 px margin) weighted by 1 + text_weight. The encoder, and so
the latent space, the latent cache and both denoisers, stay as they are; export.py writes this
decoder into nb-mini-vae.h5. Validation logs held-out PSNR and text survival on scene seeds
1_600_000_000+, which the evaluation (1_500_000_000+) never uses.
"""
from __future__ import annotations

import random
import time

import numpy as np
import torch

from . import common, data, glyph, stage_vae, world

STAGE = "vae-decoder"
DEFAULTS = dict(total_steps=1500, batch=4, lr=5e-5, warmup=50, text_weight=10.0, size=128,
                checkpoint_seconds=300, eval_every=250, seed=4)
VALIDATION_SEED = 1_600_000_000


def text_batch(seed: int, batch: int, size: int):
    """Training scenes with text: images [B,3,S,S] in [-1,1] and the text-box masks [B,1,S,S]."""
    r = random.Random(seed)
    imgs, masks = [], []
    for _ in range(batch):
        sc = world.sample_scene(r.randrange(1 << 40), "train", size, p_text=1.0)
        imgs.append(world.render(sc)[0])
        m = np.zeros((size, size), np.float32)
        box = glyph.glyph_box(sc.text, size)
        if box is not None:
            x0, y0, x1, y1 = box
            m[max(0, y0 - 3):y1 + 3, max(0, x0 - 3):x1 + 3] = 1.0
        masks.append(m)
    return data.to_tensor(imgs), torch.from_numpy(np.stack(masks))[:, None]


def train_step(vae, opt, x, box, text_weight: float):
    """One decoder step on images x with text-box masks box; returns (loss, mean L1 inside the boxes)."""
    with torch.no_grad():
        z = vae.encode(x)[0]
    rec = vae.decode(z)
    err = (rec - x).abs() + (rec - x) ** 2
    loss = (err * (1 + text_weight * box)).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(vae.decoder.parameters(), 1.0)
    opt.step()
    text_l1 = ((rec.detach() - x).abs() * box).sum() / box.sum().clamp_min(1) / x.shape[1]
    return loss.item(), text_l1.item()


def validate(vae, device) -> dict:
    from . import evaluate
    vae.eval()
    out = {"heldout_psnr_db": stage_vae.evaluate(vae, device)}
    words = evaluate.text_survival(vae, VALIDATION_SEED)
    if words is not None:
        out["validation_words_original"], out["validation_words_reconstructed"] = words
    vae.decoder.train()
    return out


def run(device, deadline: common.Deadline, overrides: dict | None = None):
    cfg = {**DEFAULTS, **(overrides or {})}
    torch.manual_seed(cfg["seed"])
    log = common.Log(STAGE)
    vck = common.load_checkpoint("vae")
    if vck is None or not vck.get("done"):
        raise SystemExit(f"[{STAGE}] the VAE stage has not finished")
    vae = stage_vae.load_trained(device, finetuned_decoder=False)   # the encoder only runs under no_grad
    opt = torch.optim.AdamW(vae.decoder.parameters(), lr=cfg["lr"], weight_decay=0.0, betas=(0.9, 0.99))
    ck = common.load_checkpoint(STAGE)
    step, metrics = 0, {}
    if ck is not None:
        step, metrics = common.restore(ck, {"decoder": vae.decoder}, opt)
        cfg = {**DEFAULTS, **ck["train_config"], **(overrides or {})}
        if ck.get("done") and step >= cfg["total_steps"]:
            print(f"[{STAGE}] already done at step {step}")
            return True
        print(f"[{STAGE}] resuming at step {step}/{cfg['total_steps']}")
    else:
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
        x, box = text_batch(common.step_seed(STAGE, step), cfg["batch"], cfg["size"])
        x, box = x.to(device), box.to(device)
        lr = common.cosine_lr(step, total, cfg["lr"], cfg["warmup"])
        for g in opt.param_groups:
            g["lr"] = lr
        loss, text_l1 = train_step(vae, opt, x, box, cfg["text_weight"])
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


def load_decoder_state():
    """The fine-tuned decoder's state dict (keys without the `decoder.` prefix), or None before this stage ran."""
    ck = common.load_checkpoint(STAGE)
    return None if ck is None else ck["decoder"]
