"""Vector drawing of subjects and settings with PIL ImageDraw. All coordinates are in pixels of the
target image; callers pass sizes already scaled to the image size."""
from __future__ import annotations

import math
import random

from PIL import ImageDraw

from .identity import CLOTHING_COLOURS, COLLARS, EYE_COLOURS, FUR_COLOURS, HAIR_COLOURS, Person, Pet


def _shade(c, f):
    return tuple(max(0, min(255, int(v * f))) for v in c)


def _mix(a, b, t):
    return tuple(int(a[i] * (1 - t) + b[i] * t) for i in range(3))


def _jit(r: random.Random, c, amount=18):
    return tuple(max(0, min(255, v + r.randint(-amount, amount))) for v in c)


# ----------------------------------------------------------------------------------------- people
def person_box(p: Person, cx: float, foot: float, h: float):
    """Bounding box of a drawn person (for labels)."""
    h = h * p.height
    w = h * {"slim": 0.36, "medium": 0.42, "broad": 0.5}[p.build]
    top = foot - h - (0.06 * h if p.hat == "tophat" else 0)
    return (cx - w / 2, top, cx + w / 2, foot)


def draw_person(d: ImageDraw.ImageDraw, p: Person, cx: float, foot: float, h: float, r: random.Random):
    """A person standing with feet at `foot`, height `h` pixels (before the identity's own height)."""
    h = h * p.height
    yaw = r.uniform(-1, 1)              # where the face looks
    arms = r.choice(["down", "down", "up", "wave", "out"])
    hr = 0.13 * h                       # head radius
    top = foot - h
    hy = top + hr                       # head centre
    neck = hy + hr * 0.95
    torso_w = h * {"slim": 0.22, "medium": 0.27, "broad": 0.33}[p.build]
    hip = neck + 0.36 * h
    shirt = CLOTHING_COLOURS[p.shirt_colour]
    trousers = CLOTHING_COLOURS[p.trouser_colour]
    hair = HAIR_COLOURS[p.hair_colour]
    skin = p.skin
    lw = max(1, int(0.055 * h))

    # legs and shoes
    leg_w = torso_w * 0.38
    for s in (-1, 1):
        lx = cx + s * torso_w * 0.24
        d.rectangle([lx - leg_w / 2, hip - 1, lx + leg_w / 2, foot - 0.03 * h], fill=trousers)
        d.ellipse([lx - leg_w * 0.7 + s * 0.02 * h, foot - 0.06 * h, lx + leg_w * 0.7 + s * 0.02 * h, foot], fill=(40, 30, 25))
    # hair behind the head
    if p.hair_style in ("long", "bob", "ponytail"):
        drop = {"long": 1.9, "bob": 1.0, "ponytail": 0.6}[p.hair_style]
        d.rounded_rectangle([cx - hr * 1.15, hy - hr * 1.05, cx + hr * 1.15, hy + hr * drop], radius=int(hr * 0.6), fill=hair)
        if p.hair_style == "ponytail":
            d.ellipse([cx + hr * 0.8, hy - hr * 0.2, cx + hr * 1.5, hy + hr * 1.3], fill=hair)
    # arms (behind torso edges)
    sh_y = neck + 0.04 * h
    arm_len = 0.33 * h
    for s in (-1, 1):
        sx = cx + s * torso_w * 0.45
        mode = arms if not (arms == "wave" and s < 0) else "down"
        if mode == "down":
            ex, ey = sx + s * 0.05 * h, sh_y + arm_len
        elif mode == "up":
            ex, ey = sx + s * 0.12 * h, sh_y - arm_len * 0.9
        elif mode == "wave":
            ex, ey = sx + s * 0.2 * h, sh_y - arm_len * 0.7
        else:
            ex, ey = sx + s * arm_len * 0.95, sh_y + arm_len * 0.25
        d.line([sx, sh_y, ex, ey], fill=shirt, width=lw)
        d.ellipse([ex - lw * 0.6, ey - lw * 0.6, ex + lw * 0.6, ey + lw * 0.6], fill=skin)
    # torso with pattern
    x0, x1 = cx - torso_w / 2, cx + torso_w / 2
    d.rounded_rectangle([x0, neck, x1, hip], radius=max(1, int(torso_w * 0.2)), fill=shirt)
    pc = CLOTHING_COLOURS[p.pattern_colour]
    if p.shirt_pattern == "stripes":
        step = max(2.0, (hip - neck) / 5)
        y = neck + step * 0.6
        while y < hip - 1:
            d.line([x0 + 1, y, x1 - 1, y], fill=pc, width=max(1, int(step * 0.35)))
            y += step
    elif p.shirt_pattern == "dots":
        rr = max(1.0, torso_w * 0.06)
        for i in range(3):
            for j in range(3):
                px, py = x0 + torso_w * (0.22 + 0.28 * i), neck + (hip - neck) * (0.2 + 0.3 * j)
                d.ellipse([px - rr, py - rr, px + rr, py + rr], fill=pc)
    elif p.shirt_pattern == "check":
        d.line([cx, neck + 1, cx, hip - 1], fill=pc, width=max(1, int(torso_w * 0.12)))
        d.line([x0 + 1, (neck + hip) / 2, x1 - 1, (neck + hip) / 2], fill=pc, width=max(1, int(torso_w * 0.12)))
    # head
    fw, fh = {"round": (1.0, 1.0), "oval": (0.86, 1.06), "square": (0.95, 0.95), "long": (0.78, 1.12),
              "heart": (0.95, 1.0), "wide": (1.15, 0.92)}[p.face]
    fx0, fy0, fx1, fy1 = cx - hr * fw, hy - hr * fh, cx + hr * fw, hy + hr * fh
    if p.face == "square":
        d.rounded_rectangle([fx0, fy0, fx1, fy1], radius=max(1, int(hr * 0.35)), fill=skin)
    elif p.face == "heart":
        d.ellipse([fx0, fy0, fx1, fy1 - hr * 0.25], fill=skin)
        d.polygon([(fx0 + hr * 0.05, hy), (fx1 - hr * 0.05, hy), (cx, fy1)], fill=skin)
    else:
        d.ellipse([fx0, fy0, fx1, fy1], fill=skin)
    # hair on top
    hs = p.hair_style
    if hs in ("short", "long", "bob", "ponytail", "bun"):
        d.chord([fx0 - hr * 0.08, fy0 - hr * 0.12, fx1 + hr * 0.08, hy + hr * 0.5], 180, 360, fill=hair)
        if hs == "bun":
            d.ellipse([cx - hr * 0.45, fy0 - hr * 0.75, cx + hr * 0.45, fy0 + hr * 0.1], fill=hair)
    elif hs == "curly":
        for k in range(7):
            a = math.pi * (1 + k / 6)
            px, py = cx + math.cos(a) * hr * fw, hy + math.sin(a) * hr * fh * 0.95
            d.ellipse([px - hr * 0.38, py - hr * 0.38, px + hr * 0.38, py + hr * 0.38], fill=hair)
    elif hs == "mohawk":
        d.rectangle([cx - hr * 0.22, fy0 - hr * 0.45, cx + hr * 0.22, hy - hr * 0.3], fill=hair)
    elif hs == "spiky":
        pts = []
        for k in range(6):
            t = k / 5
            x = fx0 + (fx1 - fx0) * t
            pts += [(x, hy - hr * 0.45), (x + (fx1 - fx0) / 10, fy0 - hr * 0.45)]
        d.polygon([(fx0, hy - hr * 0.3)] + pts + [(fx1, hy - hr * 0.3)], fill=hair)
    # face features
    fo = yaw * hr * 0.25
    ey = hy - hr * 0.05
    er = max(1.0, hr * 0.16)
    for s in (-1, 1):
        ex = cx + fo + s * hr * 0.38
        d.ellipse([ex - er, ey - er, ex + er, ey + er], fill=(250, 250, 250))
        ir = max(1.0, er * 0.62)
        d.ellipse([ex - ir + yaw * er * 0.3, ey - ir, ex + ir + yaw * er * 0.3, ey + ir], fill=EYE_COLOURS[p.eye_colour])
    if p.glasses == "round":
        for s in (-1, 1):
            ex = cx + fo + s * hr * 0.38
            d.ellipse([ex - er * 1.7, ey - er * 1.7, ex + er * 1.7, ey + er * 1.7], outline=(20, 20, 20), width=max(1, int(hr * 0.08)))
    elif p.glasses == "square":
        for s in (-1, 1):
            ex = cx + fo + s * hr * 0.38
            d.rectangle([ex - er * 1.7, ey - er * 1.4, ex + er * 1.7, ey + er * 1.4], outline=(20, 20, 20), width=max(1, int(hr * 0.08)))
    elif p.glasses == "sunglasses":
        d.rectangle([cx + fo - hr * 0.72, ey - er * 1.2, cx + fo + hr * 0.72, ey + er * 1.2], fill=(15, 15, 20))
    my = hy + hr * 0.45
    d.line([cx + fo - hr * 0.25, my, cx + fo + hr * 0.25, my], fill=(150, 40, 40), width=max(1, int(hr * 0.1)))
    if p.facial_hair == "moustache":
        d.rectangle([cx + fo - hr * 0.35, my - hr * 0.2, cx + fo + hr * 0.35, my - hr * 0.05], fill=hair)
    elif p.facial_hair == "beard":
        d.chord([fx0, hy - hr * 0.1, fx1, fy1 + hr * 0.1], 20, 160, fill=hair)
    elif p.facial_hair == "goatee":
        d.ellipse([cx + fo - hr * 0.2, my + hr * 0.12, cx + fo + hr * 0.2, my + hr * 0.5], fill=hair)
    # hat
    if p.hat != "none":
        hc = CLOTHING_COLOURS[p.hat_colour]
        if p.hat == "cap":
            d.chord([fx0, fy0 - hr * 0.1, fx1, hy + hr * 0.1], 180, 360, fill=hc)
            d.rectangle([cx + (-hr if yaw < 0 else 0), hy - hr * 0.1, cx + (0 if yaw < 0 else hr * 1.3), hy], fill=hc)
        elif p.hat == "beanie":
            d.chord([fx0, fy0 - hr * 0.2, fx1, hy + hr * 0.3], 180, 360, fill=hc)
            d.ellipse([cx - hr * 0.2, fy0 - hr * 0.45, cx + hr * 0.2, fy0 - hr * 0.05], fill=hc)
        else:
            d.rectangle([cx - hr * 0.65, fy0 - hr * 0.9, cx + hr * 0.65, fy0 + hr * 0.1], fill=hc)
            d.rectangle([cx - hr * 1.1, fy0 + hr * 0.05, cx + hr * 1.1, fy0 + hr * 0.22], fill=hc)


# ------------------------------------------------------------------------------------------- pets
def pet_box(p: Pet, cx: float, foot: float, h: float):
    h = h * p.size * {"dog": 0.55, "cat": 0.45, "rabbit": 0.42, "hamster": 0.3}[p.species]
    w = h * 1.6
    return (cx - w / 2, foot - h * 1.25, cx + w / 2, foot)


def draw_pet(d: ImageDraw.ImageDraw, p: Pet, cx: float, foot: float, h: float, r: random.Random):
    """A pet standing with paws at `foot`; `h` is the person height of the scene scale."""
    h = h * p.size * {"dog": 0.55, "cat": 0.45, "rabbit": 0.42, "hamster": 0.3}[p.species]
    face = r.choice([-1, 1])            # facing left or right
    fur = FUR_COLOURS[p.fur]
    pat = FUR_COLOURS[p.pattern_fur]
    bw, bh = h * 1.0, h * 0.5
    by = foot - h * 0.2 - bh / 2
    leg_w = max(1.0, h * 0.12)
    for k, lx in enumerate((-0.32, -0.15, 0.15, 0.32)):
        x = cx + lx * bw
        col = pat if p.fur_pattern == "socks" else fur
        d.rectangle([x - leg_w / 2, by, x + leg_w / 2, foot], fill=_shade(fur, 0.85) if k in (1, 2) else fur)
        if p.fur_pattern == "socks":
            d.rectangle([x - leg_w / 2, foot - h * 0.08, x + leg_w / 2, foot], fill=col)
    # tail
    tx = cx - face * bw * 0.5
    if p.tail == "short":
        d.ellipse([tx - h * 0.08, by - bh * 0.4, tx + h * 0.08, by - bh * 0.1], fill=fur)
    elif p.tail == "long":
        d.line([tx, by - bh * 0.1, tx - face * h * 0.35, by - bh * 0.9], fill=fur, width=max(1, int(h * 0.08)))
    elif p.tail == "fluffy":
        d.ellipse([tx - face * h * 0.35 - h * 0.14, by - bh * 1.1, tx - face * h * 0.35 + h * 0.14, by - bh * 0.1], fill=fur)
    d.ellipse([cx - bw / 2, by - bh / 2, cx + bw / 2, by + bh / 2], fill=fur)
    if p.fur_pattern == "spots":
        for k in range(4):
            sx = cx + bw * (-0.3 + 0.2 * k)
            sy = by + bh * (-0.15 if k % 2 else 0.1)
            d.ellipse([sx - h * 0.07, sy - h * 0.07, sx + h * 0.07, sy + h * 0.07], fill=pat)
    elif p.fur_pattern == "patch":
        d.ellipse([cx - bw * 0.1, by - bh * 0.45, cx + bw * 0.35, by + bh * 0.2], fill=pat)
    elif p.fur_pattern == "stripes":
        for k in range(4):
            sx = cx + bw * (-0.3 + 0.2 * k)
            d.line([sx, by - bh * 0.45, sx, by + bh * 0.2], fill=pat, width=max(1, int(h * 0.06)))
    # head
    hr = h * (0.3 if p.species != "hamster" else 0.34)
    hx, hy = cx + face * bw * 0.45, by - bh * 0.55
    ear = p.ears
    if ear == "pointy":
        for s in (-1, 1):
            d.polygon([(hx + s * hr * 0.9, hy - hr * 0.2), (hx + s * hr * 0.2, hy - hr * 0.6), (hx + s * hr * 0.75, hy - hr * 1.45)], fill=fur)
    elif ear == "long":
        for s in (-1, 1):
            d.ellipse([hx + s * hr * 0.45 - hr * 0.22, hy - hr * 2.1, hx + s * hr * 0.45 + hr * 0.22, hy - hr * 0.4], fill=fur)
    elif ear == "round":
        for s in (-1, 1):
            d.ellipse([hx + s * hr * 0.7 - hr * 0.32, hy - hr * 1.15, hx + s * hr * 0.7 + hr * 0.32, hy - hr * 0.5], fill=fur)
    d.ellipse([hx - hr, hy - hr, hx + hr, hy + hr], fill=fur)
    if ear == "floppy":
        for s in (-1, 1):
            d.ellipse([hx + s * hr * 0.85 - hr * 0.28, hy - hr * 0.7, hx + s * hr * 0.85 + hr * 0.28, hy + hr * 0.5], fill=_shade(pat if p.fur_pattern == "patch" else fur, 0.7))
    if p.fur_pattern == "patch":
        d.ellipse([hx - hr * 0.6, hy - hr * 0.7, hx + hr * 0.05, hy - hr * 0.0], fill=pat)
    er = max(1.0, hr * 0.16)
    for s in (-1, 1):
        ex = hx + face * hr * 0.2 + s * hr * 0.38
        d.ellipse([ex - er, hy - hr * 0.15 - er, ex + er, hy - hr * 0.15 + er], fill=EYE_COLOURS[p.eye_colour])
    nx = hx + face * hr * 0.35
    d.ellipse([nx - hr * 0.15, hy + hr * 0.2, nx + hr * 0.15, hy + hr * 0.42], fill=(40, 25, 25))
    if COLLARS[p.collar] is not None:
        d.line([hx - hr * 0.75, hy + hr * 0.85, hx + hr * 0.75, hy + hr * 0.85], fill=COLLARS[p.collar], width=max(1, int(hr * 0.25)))


# --------------------------------------------------------------------------------------- settings
SETTINGS = ["beach", "park", "city street", "kitchen", "mountains", "snow", "living room",
            "birthday party", "forest", "desert"]


def draw_setting(d: ImageDraw.ImageDraw, setting: str, S: int, r: random.Random):
    """Background for a setting; returns the ground line (y where subjects stand, fraction of S)."""
    def sky(top, bottom, horizon):
        steps = 8
        for i in range(steps):
            y0 = horizon * i / steps
            d.rectangle([0, y0, S, horizon * (i + 1) / steps + 1], fill=_mix(top, bottom, i / (steps - 1)))

    hz = S * r.uniform(0.35, 0.55)
    if setting == "beach":
        sky(_jit(r, (90, 160, 235)), (190, 225, 250), hz)
        sea = hz + S * 0.1
        d.rectangle([0, hz, S, sea], fill=_jit(r, (30, 110, 190)))
        d.rectangle([0, sea, S, S], fill=_jit(r, (236, 212, 150)))
        sx = S * r.uniform(0.1, 0.9)
        d.ellipse([sx - S * 0.07, S * 0.06, sx + S * 0.07, S * 0.2], fill=(255, 230, 90))
        if r.random() < 0.5:
            ux = S * r.uniform(0.05, 0.95)
            d.line([ux, sea, ux, sea - S * 0.25], fill=(90, 60, 40), width=max(1, S // 64))
            d.pieslice([ux - S * 0.14, sea - S * 0.34, ux + S * 0.14, sea - S * 0.16], 180, 360, fill=_jit(r, (230, 60, 60), 40))
    elif setting == "park":
        sky(_jit(r, (110, 180, 240)), (200, 230, 250), hz)
        d.rectangle([0, hz, S, S], fill=_jit(r, (90, 170, 70)))
        for _ in range(r.randint(1, 3)):
            tx = S * r.uniform(0, 1)
            d.rectangle([tx - S * 0.025, hz - S * 0.12, tx + S * 0.025, hz + S * 0.05], fill=(100, 70, 40))
            d.ellipse([tx - S * 0.12, hz - S * 0.32, tx + S * 0.12, hz - S * 0.08], fill=_jit(r, (40, 130, 50)))
        d.ellipse([S * 0.1, S * 0.05, S * 0.3, S * 0.12], fill=(250, 250, 250))
    elif setting == "city street":
        sky(_jit(r, (150, 190, 230)), (220, 230, 240), hz)
        x = -r.uniform(0, S * 0.1)
        while x < S:
            w = S * r.uniform(0.15, 0.3)
            top = S * r.uniform(0.05, 0.35)
            col = _jit(r, r.choice([(160, 90, 70), (130, 130, 140), (190, 170, 140), (90, 100, 120)]), 20)
            d.rectangle([x, top, x + w, hz + S * 0.15], fill=col)
            for wy in range(int(top + S * 0.04), int(hz + S * 0.1), max(2, S // 14)):
                for wx in range(int(x + S * 0.03), int(x + w - S * 0.04), max(2, S // 14)):
                    d.rectangle([wx, wy, wx + S * 0.035, wy + S * 0.04], fill=(230, 220, 140) if r.random() < 0.3 else (70, 90, 120))
            x += w
        d.rectangle([0, hz + S * 0.15, S, S], fill=_jit(r, (110, 110, 115)))
        d.rectangle([0, hz + S * 0.15, S, hz + S * 0.19], fill=(180, 180, 180))
    elif setting == "kitchen":
        d.rectangle([0, 0, S, S], fill=_jit(r, (235, 225, 200)))
        for ty in range(0, int(hz), max(2, S // 16)):
            d.line([0, ty, S, ty], fill=(215, 205, 180))
        cab = _jit(r, (170, 120, 80))
        d.rectangle([0, S * 0.05, S, S * 0.22], fill=cab)
        for cx in range(0, S, max(2, S // 4)):
            d.line([cx, S * 0.05, cx, S * 0.22], fill=_shade(cab, 0.7), width=max(1, S // 100))
        d.rectangle([0, hz, S, hz + S * 0.05], fill=(200, 200, 205))
        d.rectangle([0, hz + S * 0.05, S, S], fill=cab)
        d.rectangle([S * 0.6, hz - S * 0.18, S * 0.75, hz], fill=(200, 40, 40) if r.random() < 0.5 else (60, 60, 70))
    elif setting == "mountains":
        sky(_jit(r, (80, 140, 220)), (190, 215, 245), hz)
        for k in range(3):
            mx = S * r.uniform(-0.1, 1.1)
            mh = S * r.uniform(0.25, 0.45)
            mw = S * r.uniform(0.3, 0.5)
            col = _jit(r, (110, 110, 130), 15)
            d.polygon([(mx - mw, hz + 2), (mx, hz - mh), (mx + mw, hz + 2)], fill=col)
            d.polygon([(mx - mw * 0.25, hz - mh * 0.75), (mx, hz - mh), (mx + mw * 0.25, hz - mh * 0.75)], fill=(245, 245, 250))
        d.rectangle([0, hz, S, S], fill=_jit(r, (100, 150, 80)))
    elif setting == "snow":
        sky(_jit(r, (170, 190, 215)), (225, 232, 240), hz)
        d.rectangle([0, hz, S, S], fill=_jit(r, (240, 244, 250), 6))
        for _ in range(r.randint(1, 3)):
            tx = S * r.uniform(0, 1)
            d.polygon([(tx - S * 0.08, hz + S * 0.02), (tx, hz - S * 0.3), (tx + S * 0.08, hz + S * 0.02)], fill=(30, 90, 60))
        for _ in range(20):
            fx, fy = S * r.random(), S * r.random()
            d.ellipse([fx - 1, fy - 1, fx + 1, fy + 1], fill=(255, 255, 255))
    elif setting == "living room":
        wall = _jit(r, r.choice([(200, 180, 220), (180, 210, 190), (230, 200, 170), (190, 200, 225)]))
        d.rectangle([0, 0, S, S], fill=wall)
        d.rectangle([0, hz + S * 0.1, S, S], fill=_jit(r, (150, 100, 60)))
        wx = S * r.uniform(0.05, 0.6)
        d.rectangle([wx, S * 0.08, wx + S * 0.3, S * 0.35], fill=(150, 200, 240), outline=(250, 250, 250), width=max(1, S // 64))
        sofa = _jit(r, (90, 60, 130), 50)
        d.rounded_rectangle([S * 0.05, hz - S * 0.05, S * 0.95, hz + S * 0.18], radius=S // 16, fill=sofa)
        d.rectangle([S * 0.7, S * 0.12, S * 0.85, S * 0.25], fill=(240, 230, 200), outline=(90, 60, 30), width=max(1, S // 64))
    elif setting == "birthday party":
        wall = _jit(r, (250, 230, 240), 10)
        d.rectangle([0, 0, S, S], fill=wall)
        d.rectangle([0, hz + S * 0.1, S, S], fill=_jit(r, (180, 140, 100)))
        for k in range(9):
            bx = S * (k + 0.5) / 9
            d.polygon([(bx - S * 0.05, S * 0.02), (bx + S * 0.05, S * 0.02), (bx, S * 0.1)], fill=r.choice([(230, 60, 60), (60, 140, 230), (250, 200, 40), (80, 190, 90)]))
        for _ in range(r.randint(2, 4)):
            bx, byy = S * r.uniform(0.05, 0.95), S * r.uniform(0.15, 0.35)
            col = r.choice([(230, 60, 60), (60, 140, 230), (250, 200, 40), (200, 80, 200)])
            d.line([bx, byy + S * 0.06, bx, byy + S * 0.25], fill=(120, 120, 120), width=1)
            d.ellipse([bx - S * 0.05, byy - S * 0.06, bx + S * 0.05, byy + S * 0.07], fill=col)
    elif setting == "forest":
        sky(_jit(r, (150, 200, 180)), (210, 230, 210), hz)
        d.rectangle([0, hz, S, S], fill=_jit(r, (70, 110, 50)))
        for _ in range(r.randint(4, 7)):
            tx = S * r.uniform(0, 1)
            tw = S * r.uniform(0.03, 0.06)
            d.rectangle([tx - tw, 0, tx + tw, hz + S * r.uniform(0, 0.1)], fill=_jit(r, (90, 60, 40)))
            d.ellipse([tx - S * 0.15, -S * 0.1, tx + S * 0.15, S * 0.2], fill=_jit(r, (30, 100, 45)))
    else:  # desert
        sky(_jit(r, (120, 170, 230)), (240, 220, 190), hz)
        d.rectangle([0, hz, S, S], fill=_jit(r, (225, 180, 110)))
        d.ellipse([S * 0.2, hz - S * 0.06, S * 0.9, hz + S * 0.12], fill=_jit(r, (215, 165, 95)))
        for _ in range(r.randint(1, 2)):
            cx = S * r.uniform(0.05, 0.95)
            d.rounded_rectangle([cx - S * 0.03, hz - S * 0.2, cx + S * 0.03, hz + S * 0.05], radius=S // 40, fill=(60, 140, 70))
            d.rounded_rectangle([cx - S * 0.1, hz - S * 0.14, cx - S * 0.03, hz - S * 0.1], radius=S // 64, fill=(60, 140, 70))
    return hz
