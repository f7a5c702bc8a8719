"""Stages `denoiser-v1` and `denoiser-v2`.

Training uses bfloat16 autocast for matmuls/convs (float32 master weights, EMA, attention and loss;
`--set bf16=0` for pure float32): about 1.7x faster on CPUs with AVX512-BF16.

v1: DiT (no glyph) trained from scratch for v-prediction on the cosine schedule, with condition dropout
    for classifier-free guidance; sampled with DDIM 50 + CFG. The reference encoder comes from the
    `refenc` stage and stays frozen but for its placeholder slots (`pretrained_ref=1`; 0 trains it
    jointly from scratch, which left its tokens identity-blind).
v2: initialised from v1's EMA weights; adds glyph tokens and a guidance-scale input; trained on
    target  v* = v_true + (w - 1) * (v1(x_t, c) - v1(x_t, null))  with the frozen v1 EMA as teacher
    (guidance distillation folded into the data loss), w ~ U[1, 5]; the guidance term is dropped inside
    the quoted text's area (`guidance_off_text`), where the glyph-less teacher knows nothing; the
    reference encoder is v1's, frozen and shared; sampled with DDIM <= 8 steps, one evaluation per step.
`min_snr` > 0 weights the loss by Min-SNR-gamma. v2's `text_weight` > 0 multiplies the squared error inside
the quoted text's area by 1 + text_weight (a text-focused loss, as TextDiffuser's character-aware loss
focuses on the letters): the letters are a few percent of the latent, so an unweighted loss hardly sees them.
`subject_weight` > 0 does the same inside the subjects' boxes (the world's labels): the people are where the
references have to be used, and the proxy (proxy.py) found the reference path unused for identity.
v2's `layout=1` adds layout-grounded personalization (models/dit.py, layout.py): each scene's subjects get
the planner's strips, each image token attends only to its subject's reference tokens and gets that
subject's appearance embedding; with probability `p_drop_layout` a sample gets the all-ones layout
instead. A v2 checkpoint without the layout branches (e.g. one seeded from the committed weights) goes on
with them added at zero. `canvas=1` also gives the denoiser the reference canvas (canvas.py: each subject's
first reference photo pasted into its labelled box, nothing where layout dropout took the layout away); a
checkpoint without it goes on with it added at zero. The reference path (reference keys/values and output, appearance MLP) learns at
`ref_lr_mult` times the learning rate: its weights start at or near zero and are barely used.
"""
from __future__ import annotations

import copy
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import canvas, checkpoints, common, data, glyph, layout, schedule, world
from .models.dit import DiT, DiTConfig
from .models.refenc import ReferenceEncoder, RefEncoderConfig
from .models.textenc import TextEncoder

DEFAULTS = {
    "denoiser-v1": dict(total_steps=2800, batch=16, lr=3e-4, warmup=200, ema=0.999, num_scenes=20000,
                        p_drop_both=0.1, p_drop_text=0.05, p_drop_ref=0.05, p_text=0.5,
                        checkpoint_seconds=300, seed=2, allow_unfinished=0, bf16=1, min_snr=0.0,
                        pretrained_ref=1),
    "denoiser-v2": dict(total_steps=1300, batch=16, lr=1e-4, warmup=100, ema=0.999, num_scenes=20000,
                        w_min=1.0, w_max=5.0, p_grid_t=0.5, grid_steps=8, p_text=0.5,
                        checkpoint_seconds=300, seed=3, allow_unfinished=0, bf16=1, min_snr=5.0,
                        guidance_off_text=1, text_weight=10.0, layout=1, p_drop_layout=0.1, ref_lr_mult=1.0,
                        subject_weight=0.0, canvas=0),
}


def loss_weight(t: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per-sample weight of the v-loss. gamma > 0: Min-SNR-gamma (Hang et al. 2023), min(SNR, gamma) / (SNR + 1),
    which stops the nearly clean timesteps from dominating the gradient; gamma = 0: uniform."""
    if gamma <= 0:
        return torch.ones_like(t)
    a, s = schedule.alpha_sigma(t)
    snr = (a / s) ** 2
    return snr.clamp(max=gamma) / (snr + 1)


class LatentCache:
    """Lazily filled fp16 memmap of VAE latent means for training scenes 0..N-1."""

    def __init__(self, vae, vae_tag: str, n: int, size: int = 128):
        d = common.stage_dir("latents")
        base = os.path.join(d, f"gen{world.GENERATOR_VERSION}_{vae_tag}_n{n}_s{size}")
        self.vae, self.size = vae, size
        shape = (n, vae.config.latent_channels, size // 4, size // 4)
        mode = "r+" if os.path.exists(base + ".f16") else "w+"
        self.lat = np.memmap(base + ".f16", dtype=np.float16, mode=mode, shape=shape)
        self.filled_path = base + ".filled.npy"
        self.filled = np.load(self.filled_path) if os.path.exists(self.filled_path) else np.zeros(n, bool)

    @torch.no_grad()
    def get(self, idx: list, images: dict) -> torch.Tensor:
        miss = [i for i in idx if not self.filled[i]]
        if miss:
            x = data.to_tensor([images[i]() for i in miss])
            mean, _ = self.vae.encode(x)
            self.lat[miss] = mean.numpy().astype(np.float16)
            self.filled[miss] = True
        return self.vae.to_latent(torch.from_numpy(self.lat[idx].astype(np.float32)))

    def flush(self):
        self.lat.flush()
        tmp = self.filled_path + ".tmp.npy"
        np.save(tmp, self.filled)
        os.replace(tmp, self.filled_path)


def scene_of(i: int, p_text: float, size=128):
    return world.sample_scene(i, "train", size, p_text=p_text)


def reference_batch(scenes: list, r: random.Random, max_refs=4, size=64, min_refs=1):
    """photos [B,P,4,3,64,64], mask [B,P,4]; P = max subjects in the batch; and each scene's uint8 photos
    (photos[b][p][k] [64,64,3]), for the canvas."""
    P = max(len(s.subjects) for s in scenes)
    photos = np.zeros((len(scenes), P, max_refs, size, size, 3), np.uint8)
    mask = np.zeros((len(scenes), P, max_refs), bool)
    for b, sc in enumerate(scenes):
        for p, (kind, idx) in enumerate(sc.subjects):
            for k in range(r.randint(min_refs, max_refs)):
                photos[b, p, k] = world.reference_photo(kind, sc.split, idx, r.randrange(1 << 40), size)
                mask[b, p, k] = True
    x = torch.from_numpy(photos.astype(np.float32) / 127.5 - 1.0).permute(0, 1, 2, 5, 3, 4).contiguous()
    return x, torch.from_numpy(mask), photos


def text_area(gmap: torch.Tensor, latent_size: int) -> torch.Tensor:
    """[B,1,H,W] glyph map -> [B,1,h,w] 1.0 on the latent pixels the text covers, grown by one pixel."""
    m = F.max_pool2d(gmap, gmap.shape[-1] // latent_size)
    return F.max_pool2d(m, 3, stride=1, padding=1)


def scene_labels(scenes: list) -> list:
    """Each scene's labels (the unstylised render draws the same boxes, since stylising comes after them)."""
    return [world.render(sc, stylize=False)[1] for sc in scenes]


def subject_area(labels: list, latent_size: int) -> torch.Tensor:
    """[B,1,h,w] 1.0 inside the subjects' boxes (the world's labels)."""
    return torch.cat([data.box_mask(lab, latent_size) for lab in labels])


def canvas_batch(labels: list, photos: np.ndarray, drop: list) -> torch.Tensor:
    """[B,4,128,128]: each subject's first reference photo in its labelled box; all zero where drop[b] (layout
    dropout: no layout, no boxes)."""
    out = [np.zeros((canvas.CHANNELS, 128, 128), np.float32) if drop[b] else
           canvas.reference_canvas([photos[b, p, 0] for p in range(len(lab))], [l["box"] for l in lab])
           for b, lab in enumerate(labels)]
    return torch.from_numpy(np.stack(out))


def layout_batch(scenes: list, P: int, drop: list, grid: int = 16) -> torch.Tensor:
    """[B, grid*grid, P]: the planner's strips for each scene's subjects (zero columns pad to P), or all
    ones where drop[b] (layout dropout)."""
    out = np.ones((len(scenes), grid * grid, P), np.float32)
    for b, sc in enumerate(scenes):
        if not drop[b]:
            out[b] = 0.0
            out[b, :, :len(sc.subjects)] = layout.strips(len(sc.subjects), grid)
    return torch.from_numpy(out)


REF_PATH = ("ref_kv.", "ref_proj.", "app_embed.", "canvas_embed.")   # parameter-name parts of the reference path


def build(variant: str, with_layout: bool = False, with_canvas: bool = False):
    v2 = variant == "denoiser-v2"
    dit = DiT(DiTConfig(glyph=v2, guidance_embed=v2, layout=v2 and with_layout, canvas=v2 and with_canvas))
    ref = ReferenceEncoder(RefEncoderConfig())
    return dit, ref


def run(device, deadline: common.Deadline, overrides: dict | None = None, variant: str = "denoiser-v1"):
    res = common.Resume(variant, DEFAULTS[variant], overrides)
    if res.done:
        return True
    cfg, ck = res.cfg, res.ck
    log = common.Log(variant)
    vck = common.load_checkpoint("vae")
    if vck is None or (not vck.get("done") and not cfg["allow_unfinished"]):
        raise SystemExit(f"[{variant}] the VAE stage has not finished")
    vae = checkpoints.vae("cpu")
    vae_tag = f"vae{vck['step']}{'d' if vck.get('done') else 'u'}"
    torch.manual_seed(cfg["seed"])
    dit, ref = build(variant, bool(cfg.get("layout")), bool(cfg.get("canvas")))
    added = [(flag, prefix) for flag, prefix in (("layout", "app_embed."), ("canvas", "canvas_embed."))
             if getattr(dit.config, flag) and ck is not None and not ck["dit_config"].get(flag)]
    if added:
        # Going on from a checkpoint without these branches: they join at their (zero) initial values.
        fresh = dit.state_dict()
        prefixes = tuple(prefix for _, prefix in added)
        for key in ("dit", "ema_dit"):
            missing, unexpected = fresh.keys() - ck[key].keys(), ck[key].keys() - fresh.keys()
            assert not unexpected and all(k.startswith(prefixes) for k in missing), (missing, unexpected)
            ck[key] = {**{k: fresh[k].clone() for k in missing}, **ck[key]}
        ck.pop("optimizer", None)   # its parameter list no longer matches: a fresh optimizer
        ck["seeded_from"] = ck.get("seeded_from", "checkpoint without the " + " and ".join(f for f, _ in added) + " branches")
    teacher = None
    if variant == "denoiser-v2":
        tdit, tref, tck = checkpoints.denoiser("denoiser-v1", device)
        if not tck.get("done") and not cfg["allow_unfinished"]:
            raise SystemExit("[denoiser-v2] denoiser-v1 has not finished")
        teacher = (tdit.requires_grad_(False), tref.requires_grad_(False))
        if ck is None:   # warm start: v1's EMA weights; glyph and guidance inputs start at zero
            missing, unexpected = dit.load_state_dict(tdit.state_dict(), strict=False)
            assert not unexpected and all(k.startswith(("glyph_embed", "g_embed")) for k in missing), missing
        ref = tref              # v2 shares v1's reference encoder, frozen (one committed file for both)
    dit.to(device), ref.to(device)
    ema_dit, ema_ref = copy.deepcopy(dit).eval(), (copy.deepcopy(ref).eval() if teacher is None else ref)
    train_ref = teacher is None
    params = list(dit.parameters()) + (list(ref.parameters()) if train_ref else [])
    ema_pairs = list(zip(ema_dit.parameters(), dit.parameters()))
    if train_ref:
        ema_pairs += list(zip(ema_ref.parameters(), ref.parameters()))
    names = {id(p): n for n, p in dit.named_parameters()}
    ref_path = [p for p in params if any(part in names.get(id(p), "") for part in REF_PATH)]
    rest = [p for p in params if all(p is not q for q in ref_path)]
    mult = cfg.get("ref_lr_mult", 1.0)
    opt = torch.optim.AdamW([{"params": rest, "mult": 1.0}, {"params": ref_path, "mult": mult}],
                            lr=cfg["lr"], weight_decay=0.01, betas=(0.9, 0.99))
    step, metrics = res.restore({"dit": dit, "ref": ref, "ema_dit": ema_dit, "ema_ref": ema_ref}, opt)
    opt.param_groups[1]["mult"] = mult   # the config, not the saved optimizer, says how fast
    ref_source = ck.get("ref_source", "joint") if ck is not None else "joint"
    if train_ref and cfg["pretrained_ref"] and ref_source != "refenc":
        pre = checkpoints.refenc(device).state_dict()
        if ck is not None:   # a run that began with a jointly trained encoder keeps its placeholder binding
            pre["slot.weight"] = ref.state_dict()["slot.weight"]
        ref.load_state_dict(pre)
        ema_ref.load_state_dict(pre)
        ref_source = "refenc"
        print(f"[{variant}] reference encoder from the refenc stage, frozen (placeholder slots trained) from step {step}")
    if ref_source == "refenc":
        for name, p in ref.named_parameters():
            p.requires_grad_(name == "slot.weight")
    te = TextEncoder("cpu")
    empty_text, empty_mask = te([""])
    cache = LatentCache(vae, vae_tag, cfg["num_scenes"])
    total = cfg["total_steps"]

    def save(done=False):
        cache.flush()
        common.save_checkpoint(variant, {
            "dit": dit.state_dict(), "ref": ref.state_dict(), "ema_dit": ema_dit.state_dict(),
            "ema_ref": ema_ref.state_dict(), "optimizer": opt.state_dict(), "step": step, "done": done,
            "train_config": cfg, "dit_config": dit.config.to_dict(), "ref_config": ref.config.to_dict(),
            "torch_rng": torch.get_rng_state(), "generator_version": world.GENERATOR_VERSION,
            "vae_tag": vae_tag, "metrics": metrics, "ref_source": ref_source})

    checkpointer = common.Checkpointer(variant, cfg["checkpoint_seconds"], deadline, save)
    t0, seen = time.time(), 0
    while step < total:
        r = random.Random(common.step_seed(variant, step))
        B = cfg["batch"]
        idx = [r.randrange(cfg["num_scenes"]) for _ in range(B)]
        scenes = [scene_of(i, cfg["p_text"]) for i in idx]
        caps = [r.choice(sc.captions) for sc in scenes]
        x0 = cache.get(idx, {i: (lambda sc=sc: world.render(sc)[0]) for i, sc in zip(idx, scenes)}).to(device)
        text, tmask = te(caps)
        photos, pmask, photos_u8 = reference_batch(scenes, r)
        text, tmask, photos, pmask = text.to(device), tmask.to(device), photos.to(device), pmask.to(device)
        gmap = data.glyph_maps([glyph.quoted_text(c) for c in caps]).to(device) if variant == "denoiser-v2" else None
        lay = cv = None
        labels = scene_labels(scenes) if cfg.get("subject_weight", 0) > 0 or dit.config.canvas else None
        if dit.config.layout:
            drop = [r.random() < cfg["p_drop_layout"] for _ in scenes]
            lay = layout_batch(scenes, photos.shape[1], drop).to(device)
            if dit.config.canvas:
                cv = canvas_batch(labels, photos_u8, drop).to(device)
        if variant == "denoiser-v2" and r.random() < cfg["p_grid_t"]:
            g = cfg["grid_steps"]
            t = torch.tensor([r.randint(1, g) / g for _ in range(B)], device=device)
        else:
            t = torch.rand(B, device=device).clamp(1e-4, 1.0)
        eps = torch.randn_like(x0)
        xt, v_true = schedule.add_noise(x0, eps, t)
        if variant == "denoiser-v1":   # condition dropout for CFG
            u = torch.rand(B, device=device)
            drop_text = u < cfg["p_drop_both"] + cfg["p_drop_text"]
            drop_ref = (u < cfg["p_drop_both"]) | ((u >= cfg["p_drop_both"] + cfg["p_drop_text"]) &
                                                   (u < cfg["p_drop_both"] + cfg["p_drop_text"] + cfg["p_drop_ref"]))
            text = torch.where(drop_text[:, None, None], empty_text.to(device), text)
            tmask = torch.where(drop_text[:, None], empty_mask.to(device), tmask)
            pmask = pmask & ~drop_ref[:, None, None]
            target, w = v_true, None
        else:
            w = cfg["w_min"] + (cfg["w_max"] - cfg["w_min"]) * torch.rand(B, device=device)
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(cfg["bf16"])):
                tdit, tref = teacher
                rt, rm = tref(photos, pmask)     # the same frozen encoder feeds the student below
                v_c = tdit(xt, t, text, tmask, rt, rm)
                v_u = tdit(xt, t, empty_text.expand(B, -1, -1).to(device), empty_mask.expand(B, -1).to(device))
            guide = (w - 1).view(-1, 1, 1, 1) * (v_c.float() - v_u.float())
            if cfg["guidance_off_text"]:
                # The teacher has no glyph input, so its guidance direction says nothing about the letters:
                # inside the text area the student learns the data target alone.
                guide = guide * (1 - text_area(gmap, x0.shape[-1]))
            target = v_true + guide
        lr = common.cosine_lr(step, total, cfg["lr"], cfg["warmup"])
        for gr in opt.param_groups:
            gr["lr"] = lr * gr.get("mult", 1.0)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bool(cfg["bf16"])):
            if train_ref:
                rt, rm = ref(photos, pmask)
            v = dit(xt, t, text, tmask, rt, rm, 1.0, gmap, w, lay, cv)
        err = (v.float() - target.float()) ** 2
        per_sample = err.mean(dim=(1, 2, 3))             # logged unweighted as v_mse
        if variant == "denoiser-v2" and cfg["text_weight"] > 0:
            err = err * (1 + cfg["text_weight"] * text_area(gmap, x0.shape[-1]))
        if cfg.get("subject_weight", 0) > 0:
            err = err * (1 + cfg["subject_weight"] * subject_area(labels, x0.shape[-1]).to(device))
        loss = (loss_weight(t, cfg["min_snr"]) * err.mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            d = cfg["ema"] if step > 200 else 0.0
            for e, p in ema_pairs:
                e.mul_(d).add_(p.detach(), alpha=1 - d)
        step += 1
        seen += 1
        if step % 10 == 0:
            dt = time.time() - t0
            log.write(step=step, loss=loss.item(), v_mse=per_sample.mean().item(), grad_norm=float(gn), lr=lr, steps_per_s=seen / dt,
                      cache_filled=int(cache.filled.sum()))
            t0, seen = time.time(), 0
        if checkpointer.should_stop(step):
            return False
    save(done=True)
    log.write(step=step, done=1)
    return True
