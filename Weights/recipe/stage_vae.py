"""Stage `vae`: train the autoencoder on world images (L1 + tiny KL), then fix the latent scale."""
from __future__ import annotations

import time

import torch

from . import common, data, measure
from .models.vae import VAE, VAEConfig

STAGE = "vae"
DEFAULTS = dict(total_steps=10000, batch=8, crop=64, full_res_from=0.85, full_batch=4, lr=2e-4,
                kl_weight=1e-6, size=128, checkpoint_seconds=300, eval_every=500, seed=1)


def latent_stats(model, device, n=256, size=128):
    model.eval()
    means = []
    with torch.no_grad():
        for i in range(0, n, 16):
            x = data.vae_batch(common.step_seed("vae-stats", i), 16, size).to(device)
            means.append(model.encode(x)[0])
    m = torch.cat(means)
    model.train()
    return m.mean().item(), m.std().item()


def run(device, deadline: common.Deadline, overrides: dict | None = None):
    res = common.Resume(STAGE, DEFAULTS, overrides)
    if res.done:
        return True
    cfg = res.cfg
    torch.manual_seed(cfg["seed"])
    log = common.Log(STAGE)
    model = VAE(VAEConfig()).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0, betas=(0.9, 0.99))
    step, metrics = res.restore({"model": model}, opt)
    total = cfg["total_steps"]

    def save(done=False):
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "done": done,
                 "train_config": cfg, "model_config": model.config.to_dict(), "torch_rng": torch.get_rng_state(),
                 "generator_version": data.world.GENERATOR_VERSION, "metrics": metrics}
        common.save_checkpoint(STAGE, state)

    checkpointer = common.Checkpointer(STAGE, cfg["checkpoint_seconds"], deadline, save)
    t0, seen = time.time(), 0
    while step < total:
        full = step >= cfg["full_res_from"] * total
        bs = cfg["full_batch"] if full else cfg["batch"]
        x = data.vae_batch(common.step_seed(STAGE, step), bs, cfg["size"], None if full else cfg["crop"]).to(device)
        lr = common.cosine_lr(step, total, cfg["lr"])
        for g in opt.param_groups:
            g["lr"] = lr
        rec, mean, logvar = model(x)
        l1 = (rec - x).abs().mean()
        mse = ((rec - x) ** 2).mean()
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
        loss = l1 + mse + cfg["kl_weight"] * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        seen += 1
        if step % 50 == 0:
            dt = time.time() - t0
            log.write(step=step, loss=loss.item(), l1=l1.item(), mse=mse.item(), kl=kl.item(), lr=lr,
                      steps_per_s=seen / dt, res=cfg["size"] if full else cfg["crop"])
            t0, seen = time.time(), 0
        if step % cfg["eval_every"] == 0 or step == total:
            metrics["heldout_psnr_db"] = measure.heldout_psnr(model, device)
            metrics["psnr_step"] = step
            log.write(step=step, heldout_psnr_db=metrics["heldout_psnr_db"])
        if checkpointer.should_stop(step):
            return False
    shift, std = latent_stats(model, device)
    model.config.shift_factor = shift
    model.config.scale_factor = 1.0 / std
    metrics["latent_mean"], metrics["latent_std"] = shift, std
    save(done=True)
    log.write(step=step, done=1, latent_mean=shift, latent_std=std)
    return True
