"""Stage `judges`: classifiers for evaluation, trained only on ground-truth world renders.

- scene judge (128x128 image): setting (10 classes) and style (5 classes); trained on train-split scenes.
- identity judge (64x64 subject crop): which of the 40 held-out identities (32 people, 8 pets);
  trained on crops of held-out identities in ground-truth scenes and library photos (never on
  generated images). Held-out accuracy of each judge on fresh renders is logged as a metric.
"""
from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from . import checkpoints, common, data, world
from .data import HELDOUT, crop_subject

STAGE = "judges"
DEFAULTS = dict(total_steps=1500, batch=32, lr=1e-3, checkpoint_seconds=300, seed=4, eval_every=500)


def scene_batch(seed, B):
    r = random.Random(seed)
    imgs, st, sy = [], [], []
    for _ in range(B):
        sc = world.sample_scene(r.randrange(1 << 40), "train")
        imgs.append(world.render(sc)[0])
        st.append(world.SETTINGS.index(sc.setting))
        sy.append(world.STYLES.index(sc.style))
    return data.to_tensor(imgs), torch.tensor(st), torch.tensor(sy)


def identity_batch(seed, B):
    r = random.Random(seed)
    imgs, ys = [], []
    while len(imgs) < B:
        if r.random() < 0.3:
            y = r.randrange(len(HELDOUT))
            kind, idx = HELDOUT[y]
            imgs.append(world.reference_photo(kind, "heldout", idx, r.randrange(1 << 40), 64))
            ys.append(y)
            continue
        n = r.randint(1, 5)
        subj = [HELDOUT[r.randrange(len(HELDOUT))] for _ in range(n)]
        sc = world.sample_scene(r.randrange(1 << 40), "heldout", subjects=subj)
        img, labels = world.render(sc)
        for lab in labels:
            imgs.append(crop_subject(img, lab["box"]))
            ys.append(HELDOUT.index((lab["kind"], lab["index"])))
    return data.to_tensor(imgs[:B]), torch.tensor(ys[:B])


@torch.no_grad()
def evaluate(scene_j, id_j, n=256):
    scene_j.eval(), id_j.eval()
    x, st, sy = scene_batch(common.step_seed("judge-eval", 0), n)
    o = scene_j(x)
    xi, yi = identity_batch(common.step_seed("judge-eval", 1), n)
    oi = id_j(xi)
    scene_j.train(), id_j.train()
    return {"setting_acc": (o["setting"].argmax(1) == st).float().mean().item(),
            "style_acc": (o["style"].argmax(1) == sy).float().mean().item(),
            "identity_acc": (oi["identity"].argmax(1) == yi).float().mean().item()}


def run(device, deadline: common.Deadline, overrides: dict | None = None):
    res = common.Resume(STAGE, DEFAULTS, overrides)
    if res.done:
        return True
    cfg = res.cfg
    torch.manual_seed(cfg["seed"])
    log = common.Log(STAGE)
    scene_j, id_j = checkpoints.new_judges()
    # On the device before the optimizer exists: a restored optimizer state goes where the parameters are.
    scene_j.to(device), id_j.to(device)
    params = list(scene_j.parameters()) + list(id_j.parameters())
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.01)
    step, metrics = res.restore({"scene": scene_j, "identity": id_j}, opt)

    def save(done=False):
        common.save_checkpoint(STAGE, {"scene": scene_j.state_dict(), "identity": id_j.state_dict(),
                                       "optimizer": opt.state_dict(), "step": step, "done": done,
                                       "train_config": cfg, "torch_rng": torch.get_rng_state(),
                                       "generator_version": world.GENERATOR_VERSION, "metrics": metrics})

    checkpointer = common.Checkpointer(STAGE, cfg["checkpoint_seconds"], deadline, save)
    total = cfg["total_steps"]
    while step < total:
        lr = common.cosine_lr(step, total, cfg["lr"])
        for g in opt.param_groups:
            g["lr"] = lr
        x, st, sy = scene_batch(common.step_seed(STAGE, step, 0), cfg["batch"])
        xi, yi = identity_batch(common.step_seed(STAGE, step, 1), cfg["batch"])
        o, oi = scene_j(x.to(device)), id_j(xi.to(device))
        loss = F.cross_entropy(o["setting"], st.to(device)) + F.cross_entropy(o["style"], sy.to(device)) + \
            F.cross_entropy(oi["identity"], yi.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            log.write(step=step, loss=loss.item(), lr=lr)
        if step % cfg["eval_every"] == 0 or step == total:
            metrics = evaluate(scene_j, id_j)
            log.write(step=step, **metrics)
        if checkpointer.should_stop(step):
            return False
    save(done=True)
    return True
