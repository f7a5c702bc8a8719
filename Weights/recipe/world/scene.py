"""Scenes: 1-5 subjects in a setting and a style, optional text on a sign, cake, banner or shirt, with
labels (who is where) and several natural-English captions naming subjects by placeholder <p1>..<p5>
(numbered left to right)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from . import draw, identity as ident, styles
from .. import glyph

# Identity index ranges per split (the splits use disjoint seed streams, see identity.py).
NUM_IDENTITIES = {("train", "person"): 20000, ("train", "pet"): 4000,
                  ("heldout", "person"): 32, ("heldout", "pet"): 8}

WORDS = ["HELLO", "HAPPY", "BIRTHDAY", "OPEN", "SALE", "CAFE", "PARK", "BEACH", "WELCOME", "LOVE", "HOME",
         "STOP", "PIZZA", "BAKERY", "SUMMER", "WINTER", "PARTY", "THANKS", "MOM", "DAD", "FAMILY", "SNOW",
         "HOTEL", "TAXI", "BOOKS", "MUSIC", "FRESH", "COFFEE", "TEA", "JAZZ", "RUN", "GARDEN", "MARKET",
         "BRAVO", "HERO", "GOAL", "SMILE", "PEACE", "YES", "NO", "EXIT", "ZOO", "DOGS", "CATS", "FRIENDS",
         "CAMP", "SURF", "SKI", "HIKE", "TRAIL", "CITY", "METRO", "BUS", "LUNCH", "DINNER", "SOUP", "CAKE",
         "BREAD", "FRUIT", "NORTH", "SOUTH", "EAST", "WEST", "RIVER", "LAKE", "OCEAN", "SUNNY", "RAIN",
         "STORM", "HAPPY DAY", "TEAM", "CLUB", "SCHOOL", "CLASS", "LIBRARY", "BANK", "POST", "SHOP",
         "TOYS", "GAMES", "CINEMA", "THEATRE", "ART", "DANCE", "SING", "PLAY", "WORK", "REST", "DREAM",
         "HOPE", "JOY", "GIFT", "PARADE", "FAIR", "CIRCUS", "ROBOT", "ROCKET", "PLANET", "STAR"]

SETTING_PHRASES = {
    "beach": ["at the beach", "on a sandy beach", "by the sea"],
    "park": ["in the park", "in a green park", "on the grass in a park"],
    "city street": ["on a city street", "in the city", "on a busy street"],
    "kitchen": ["in the kitchen", "in a cosy kitchen", "at home in the kitchen"],
    "mountains": ["in the mountains", "in front of snowy mountains", "on a mountain trail"],
    "snow": ["in the snow", "on a snowy day", "in a winter landscape"],
    "living room": ["in the living room", "at home on the sofa", "in a living room"],
    "birthday party": ["at a birthday party", "at a party with balloons", "celebrating a birthday"],
    "forest": ["in the forest", "among tall trees", "in the woods"],
    "desert": ["in the desert", "among cacti in the desert", "on desert sand"],
}
STYLE_PREFIX = {
    "photo": ["A photo of", "A photograph of", "A snapshot of"],
    "claymation": ["A claymation scene of", "A clay animation still of", "A plasticine model of"],
    "watercolour": ["A watercolour painting of", "A watercolor of", "A soft watercolour of"],
    "pixel art": ["Pixel art of", "A pixel-art picture of", "A retro pixel art image of"],
    "pencil sketch": ["A pencil sketch of", "A pencil drawing of", "A graphite sketch of"],
}
STYLE_SUFFIX = {
    "photo": ["photo", "photograph", "realistic photo"],
    "claymation": ["claymation", "in claymation style", "clay animation"],
    "watercolour": ["watercolour", "in watercolour", "watercolor painting"],
    "pixel art": ["pixel art", "as pixel art", "in pixel-art style"],
    "pencil sketch": ["pencil sketch", "as a pencil sketch", "in pencil"],
}
TEXT_PHRASES = {
    "sign": ['holding a sign that says "{t}"', 'with a sign reading "{t}"', 'next to a sign with "{t}" on it'],
    "cake": ['with a cake that says "{t}"', 'with a cake with "{t}" written on it', 'behind a cake iced with "{t}"'],
    "banner": ['under a banner reading "{t}"', 'with a banner that says "{t}"', 'below a "{t}" banner'],
    "shirt": ['wearing a shirt that says "{t}"', 'in a t-shirt printed with "{t}"', 'wearing a "{t}" shirt'],
}


@dataclass
class Scene:
    seed: int
    size: int
    split: str
    setting: str
    style: str
    subjects: list            # [(kind, index)] left to right, identities of `split`
    text: str = ""
    text_kind: str = ""
    framing: str = "full"     # "full" or "closeup"
    captions: list = field(default_factory=list)


def random_text(r: random.Random) -> str:
    if r.random() < 0.5:
        return r.choice(WORDS)
    n = r.randint(3, 10)
    return "".join(chr(65 + r.randrange(26)) for _ in range(n))


def sample_scene(seed: int, split: str = "train", size: int = 128, *, n_subjects: int | None = None,
                 setting: str | None = None, style: str | None = None, text: str | None = None,
                 subjects: list | None = None, p_text: float = 0.4) -> Scene:
    r = random.Random(seed * 2654435761 % (2 ** 61) + 17)
    if subjects is None:
        n = n_subjects or r.choices([1, 2, 3, 4, 5], [0.34, 0.28, 0.18, 0.12, 0.08])[0]
        subjects = []
        for _ in range(n):
            kind = "pet" if r.random() < 0.22 else "person"
            subjects.append((kind, r.randrange(NUM_IDENTITIES[(split, kind)])))
    setting = setting or r.choice(draw.SETTINGS)
    style = style or r.choice(styles.STYLES)
    if text is None:
        text = random_text(r) if r.random() < p_text else ""
    text_kind = ""
    if text:
        kinds = ["sign", "banner", "cake"]
        if len(subjects) == 1 and subjects[0][0] == "person" and glyph.glyph_box(text, size)[2] - glyph.glyph_box(text, size)[0] < size * 0.45:
            kinds.append("shirt")
        if setting == "birthday party":
            kinds += ["cake", "banner"]
        text_kind = r.choice(kinds)
    framing = "closeup" if len(subjects) == 1 and text_kind != "shirt" and r.random() < 0.35 else "full"
    sc = Scene(seed, size, split, setting, style, list(subjects), text, text_kind, framing)
    sc.captions = captions(sc, r)
    return sc


def _subject_phrase(sc: Scene, r: random.Random) -> str:
    parts = []
    for i, (kind, idx) in enumerate(sc.subjects):
        ph = f"<p{i + 1}>"
        if kind == "pet" and r.random() < 0.7:
            sp = ident.pet(sc.split, idx).species
            ph = r.choice([f"{ph} the {sp}", f"{ph}, a {sp},", f"{sp} {ph}"]).rstrip(",") if True else ph
        parts.append(ph)
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def captions(sc: Scene, r: random.Random, k: int = 4) -> list:
    out = []
    for j in range(k):
        subj = _subject_phrase(sc, r)
        where = r.choice(SETTING_PHRASES[sc.setting])
        txt = (" " + r.choice(TEXT_PHRASES[sc.text_kind]).format(t=sc.text)) if sc.text else ""
        lr = len(sc.subjects) > 1 and r.random() < 0.3
        form = j % 4
        if form == 0:
            c = f"{r.choice(STYLE_PREFIX[sc.style])} {subj} {where}{txt}."
        elif form == 1:
            c = f"{subj[0].upper() + subj[1:] if not subj.startswith('<') else subj} {where}{txt}, {r.choice(STYLE_SUFFIX[sc.style])}."
        elif form == 2:
            c = f"{where[0].upper() + where[1:]}: {subj}{txt}. {r.choice(STYLE_SUFFIX[sc.style]).capitalize()}."
        else:
            c = f"{r.choice(STYLE_PREFIX[sc.style])} {subj}{txt}, {where}."
        if lr:
            c = c.rstrip(".") + ", from left to right."
        out.append(c)
    return out


def _layout(sc: Scene, r: random.Random, hz: float):
    """(cx, foot, height) per subject, left to right."""
    S = sc.size
    n = len(sc.subjects)
    if sc.text_kind == "shirt":
        by0 = glyph.band(S)[1]
        h = S * 1.35
        neck = by0 - S * 0.06
        # person top = foot - h*height; neck ~ top + 0.255*h*height (see draw_person); solve foot
        p = ident.person(sc.split, sc.subjects[0][1])
        hh = h * p.height
        foot = neck - 0.255 * hh + hh
        return [(S * 0.5, foot, h)]
    if sc.framing == "closeup":
        h = S * r.uniform(1.1, 1.6)
        kind = sc.subjects[0][0]
        if kind == "pet":
            return [(S * r.uniform(0.4, 0.6), S * r.uniform(0.85, 1.0), S * r.uniform(1.3, 1.8))]
        return [(S * r.uniform(0.35, 0.65), S * 0.1 + h * 0.95, h)]
    h = S * r.uniform(0.55, 0.8) * (1.0 if n <= 2 else 0.85 if n == 3 else 0.72)
    foot_base = max(hz + S * 0.2, S * r.uniform(0.82, 0.97))
    slot = S / n
    res = []
    for i in range(n):
        cx = slot * (i + 0.5) + r.uniform(-0.15, 0.15) * slot
        res.append((cx, min(S * 0.99, foot_base + r.uniform(-0.03, 0.03) * S), h))
    return res


def _draw_text_object(d: ImageDraw.ImageDraw, img: Image.Image, sc: Scene, r: random.Random):
    S = sc.size
    x0, y0, x1, y1 = glyph.glyph_box(sc.text, S)
    gm = glyph.glyph_map(sc.text, S)
    m = max(2, S // 40)
    if sc.text_kind == "sign":
        board = r.choice([(250, 250, 245), (250, 230, 120), (200, 160, 110), (120, 200, 240), (250, 250, 250)])
        ink = r.choice([(20, 20, 20), (180, 20, 20), (20, 40, 140)])
        post = (x0 + x1) / 2
        d.rectangle([post - S * 0.015, y1, post + S * 0.015, S], fill=(110, 80, 50))
        d.rectangle([x0 - m, y0 - m, x1 + m, y1 + m], fill=board, outline=(80, 60, 40), width=max(1, S // 100))
    elif sc.text_kind == "banner":
        board = r.choice([(230, 60, 60), (40, 90, 200), (250, 250, 245), (40, 150, 80)])
        ink = (250, 250, 250) if board != (250, 250, 245) else (200, 30, 30)
        d.rectangle([0, y0 - m, S, y1 + m], fill=board)
    elif sc.text_kind == "cake":
        cake = r.choice([(250, 240, 230), (240, 180, 200), (140, 90, 60), (250, 230, 170)])
        ink = r.choice([(200, 40, 90), (60, 40, 30), (40, 90, 200)]) if cake != (140, 90, 60) else (250, 250, 250)
        d.rectangle([x0 - 2 * m, y0 - m, x1 + 2 * m, min(S, y1 + 4 * m)], fill=cake)
        d.rectangle([x0 - 2 * m, y0 - m - S * 0.03, x1 + 2 * m, y0 - m], fill=(255, 255, 255))
        d.rectangle([x0 - 3 * m, min(S, y1 + 4 * m), x1 + 3 * m, min(S, y1 + 5 * m)], fill=(220, 220, 230))
        for k in range(r.randint(2, 5)):
            cx = x0 + (x1 - x0) * (k + 0.5) / 5
            d.rectangle([cx - 1, y0 - m - S * 0.09, cx + 1, y0 - m - S * 0.03], fill=r.choice([(240, 90, 90), (90, 140, 240)]))
            d.ellipse([cx - 1.5, y0 - m - S * 0.12, cx + 1.5, y0 - m - S * 0.09], fill=(255, 200, 40))
    else:  # shirt: text straight onto the shirt
        shirt = ident.CLOTHING_COLOURS[ident.person(sc.split, sc.subjects[0][1]).shirt_colour]
        lum = 0.3 * shirt[0] + 0.59 * shirt[1] + 0.11 * shirt[2]
        ink = (20, 20, 20) if lum > 140 else (250, 250, 250)
    a = np.asarray(img).copy()
    a[gm > 0] = ink
    return Image.fromarray(a)


def render(sc: Scene, *, stylize: bool = True):
    """Render a scene: (uint8 [S,S,3], labels)."""
    r = random.Random(sc.seed * 40503 + 7)
    S = sc.size
    img = Image.new("RGB", (S, S))
    d = ImageDraw.Draw(img)
    hz = draw.draw_setting(d, sc.setting, S, r)
    labels = []
    for i, ((kind, idx), (cx, foot, h)) in enumerate(zip(sc.subjects, _layout(sc, r, hz))):
        who = ident.identity(kind, sc.split, idx)
        if kind == "person":
            draw.draw_person(d, who, cx, foot, h, r)
            box = draw.person_box(who, cx, foot, h)
        else:
            draw.draw_pet(d, who, cx, foot, h, r)
            box = draw.pet_box(who, cx, foot, h)
        box = [int(max(0, min(S, v))) for v in box]
        labels.append({"placeholder": f"<p{i + 1}>", "name": who.name, "kind": kind, "split": sc.split,
                       "index": idx, "box": box})
    if sc.text:
        img = _draw_text_object(d, img, sc, r)
    a = np.asarray(img)
    if stylize:
        a = styles.stylize(a, sc.style, r)
    return a, labels


def reference_photo(kind: str, split: str, index: int, seed: int, size: int = 64) -> np.ndarray:
    """A library photo of one identity (photo style, random setting, pose, framing, lighting)."""
    r = random.Random(seed)
    sc = Scene(seed, size, split, r.choice(draw.SETTINGS), "photo", [(kind, index)],
               framing="closeup" if r.random() < 0.6 else "full")
    a, _ = render(sc)
    return a
