"""The trained models, read back from the stages' checkpoints in runs/ (weights.py reads the exported
Weights/*.h5 instead). Here, below the stages, so that a stage that builds on an earlier one (the decoder
on the VAE, the denoisers on the VAE, the reference encoder and v1), the pipeline and the export need
no stage module: only train.py imports the stages."""
from __future__ import annotations

from . import common, data, world
from .models.dit import DiT, DiTConfig
from .models.judge import Judge
from .models.refenc import ReferenceEncoder, RefEncoderConfig
from .models.vae import VAE, VAEConfig


def decoder_state():
    """The `vae-decoder` stage's decoder state dict (keys without the `decoder.` prefix), or None before
    that stage ran."""
    ck = common.load_checkpoint("vae-decoder")
    return None if ck is None else ck["decoder"]


def vae(device="cpu", finetuned_decoder: bool = True) -> VAE:
    """The trained VAE; its decoder is the `vae-decoder` stage's text fine-tune once that has run (the
    encoder, and so the latent space, is the same either way)."""
    ck = common.load_checkpoint("vae")
    if ck is None:
        raise SystemExit("no VAE checkpoint: run `python3 Weights/recipe/train.py --stage vae` first")
    mc = dict(ck["model_config"])
    mc["channels"] = tuple(mc["channels"])
    dec = decoder_state() if finetuned_decoder else None
    if dec is not None and any(k.startswith("glyph_in.") for k in dec):
        mc["glyph_conditioning"] = True
    model = VAE(VAEConfig(**mc))
    missing, unexpected = model.load_state_dict(ck["model"], strict=False)   # a new glyph branch starts at zero
    assert not unexpected and all(".glyph_in." in "." + k for k in missing), (missing, unexpected)
    if dec is not None:
        model.decoder.load_state_dict(dec)
    return model.to(device).eval()


def refenc(device="cpu") -> ReferenceEncoder:
    """The `refenc` stage's identity-pre-trained reference encoder (finished runs only)."""
    ck = common.load_checkpoint("refenc")
    if ck is None or not ck.get("done"):
        raise SystemExit("the refenc stage has not finished: run `python3 Weights/recipe/train.py --stage refenc`")
    ref = ReferenceEncoder(RefEncoderConfig(**ck["ref_config"]))
    ref.load_state_dict(ck["ref"])
    return ref.to(device)


def denoiser(variant: str, device="cpu", ema=True):
    """(DiT, reference encoder, checkpoint) of `denoiser-v1` or `denoiser-v2`, in eval mode."""
    ck = common.load_checkpoint(variant)
    if ck is None:
        raise SystemExit(f"no {variant} checkpoint: run `python3 Weights/recipe/train.py --stage {variant}`")
    dit = DiT(DiTConfig(**ck["dit_config"]))
    ref = ReferenceEncoder(RefEncoderConfig(**ck["ref_config"]))
    dit.load_state_dict(ck["ema_dit" if ema else "dit"])
    ref.load_state_dict(ck["ema_ref" if ema else "ref"])
    return dit.to(device).eval(), ref.to(device).eval(), ck


def new_judges():
    """(scene judge, identity judge), untrained: setting and style of a scene; which of data.HELDOUT."""
    return (Judge({"setting": len(world.SETTINGS), "style": len(world.STYLES)}),
            Judge({"identity": len(data.HELDOUT)}))


def judge_labels() -> dict:
    """What the judges' outputs mean (the exported file's config, so that other runtimes can read them):
    the scene judge's `setting` and `style` classes, the identity judge's held-out identities (world names,
    as the demo library's manifest gives them) and the image sizes each judge takes."""
    from .world import identity as ident
    return {"scene": {"heads": {"setting": list(world.SETTINGS), "style": list(world.STYLES)}, "image_size": 128},
            "identity": {"heads": {"identity": [ident.identity(k, "heldout", i).name for k, i in data.HELDOUT]}, "image_size": 64,
                         "kinds": [k for k, _ in data.HELDOUT]},
            "width": 32, "levels": 4}


def judges(device="cpu"):
    """The `judges` stage's (scene judge, identity judge), in eval mode."""
    ck = common.load_checkpoint("judges")
    if ck is None:
        raise SystemExit("no judges checkpoint: run `python3 Weights/recipe/train.py --stage judges`")
    scene_j, id_j = new_judges()
    scene_j.load_state_dict(ck["scene"])
    id_j.load_state_dict(ck["identity"])
    return scene_j.to(device).eval(), id_j.to(device).eval()
