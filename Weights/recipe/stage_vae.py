"""Stage `vae`: train the autoencoder on world images (L1 + tiny KL), then fix the latent scale."""
from __future__ import annotations

import time

import torch

from . import common, data
from .models.vae import VAE, VAEConfig

STAGE = "vae"
DEFAULTS = dict(total_steps=10000, batch=8, crop=64, full_res_from=0.85, full_batch=4, lr=2e-4,
                kl_weight=1e-6, size=128, checkpoint_seconds=300, eval_every=500, seed=1)


def psnr(x, y):
    mse = ((x.clamp(-1, 1) - y) ** 2).mean(dim=(1, 2, 3)) / 4.0   # images in [-1,1] -> [0,1]
    return (10 * torch.log10(1.0 / mse.clamp_min(1e-10))).mean().item()


def evaluate(model, device, n=32, size=128):
    model.eval()
    x = data.heldout_images(n, size).to(device)
    with torch.no_grad():
        rec, _, _ = model(x, sample=False)
    model.train()
    return psnr(rec, x)


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
    cfg = {**DEFAULTS, **(overrides or {})}
    torch.manual_seed(cfg["seed"])
    log = common.Log(STAGE)
    model = VAE(VAEConfig()).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0, betas=(0.9, 0.99))
    ck = common.load_checkpoint(STAGE)
    step = 0
    if ck is not None:
        step, _ = common.restore(ck, {"model": model}, opt)
        cfg = {**ck["train_config"], **(overrides or {})}
        if ck.get("done"):
            print(f"[vae] already done at step {step}")
            return True
        print(f"[vae] resuming at step {step}/{cfg['total_steps']}")
    total = cfg["total_steps"]

    def save(done=False):
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "done": done,
                 "train_config": cfg, "model_config": model.config.to_dict(), "torch_rng": torch.get_rng_state(),
                 "generator_version": data.world.GENERATOR_VERSION, "metrics": metrics}
        common.save_checkpoint(STAGE, state)

    metrics = ck.get("metrics", {}) if ck else {}
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
            metrics["heldout_psnr_db"] = evaluate(model, device)
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


def load_trained(device="cpu", finetuned_decoder: bool = True) -> VAE:
    """The trained VAE; its decoder is the `vae-decoder` stage's text fine-tune once that has run (the
    encoder, and so the latent space, is the same either way)."""
    ck = common.load_checkpoint(STAGE)
    if ck is None:
        raise SystemExit("no VAE checkpoint: run `python3 Weights/recipe/train.py --stage vae` first")
    mc = dict(ck["model_config"])
    mc["channels"] = tuple(mc["channels"])
    dec = None
    if finetuned_decoder:
        from .stage_vae_decoder import load_decoder_state
        dec = load_decoder_state()
        if dec is not None and any(k.startswith("glyph_in.") for k in dec):
            mc["glyph_conditioning"] = True
    model = VAE(VAEConfig(**mc))
    missing, unexpected = model.load_state_dict(ck["model"], strict=False)   # a new glyph branch starts at zero
    assert not unexpected and all(".glyph_in." in "." + k for k in missing), (missing, unexpected)
    if dec is not None:
        model.decoder.load_state_dict(dec)
    return model.to(device).eval()
