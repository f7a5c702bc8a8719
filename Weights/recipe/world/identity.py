"""Identities: stable feature sets for people and pets, drawn from a combinatorial space by seed.

Training identities and held-out identities come from disjoint seed streams: the seed of an identity
is a hash of (split, kind, index), so no training index can ever produce a held-out identity's seed.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache

SKIN_TONES = [(255, 224, 196), (241, 194, 150), (224, 172, 128), (198, 134, 88), (160, 102, 62),
              (125, 80, 48), (92, 58, 36), (250, 210, 170)]
HAIR_COLOURS = {"black": (25, 22, 22), "dark brown": (70, 42, 24), "brown": (120, 74, 40),
                "blond": (228, 196, 110), "red": (176, 60, 28), "grey": (160, 160, 160),
                "white": (238, 238, 230), "blue": (40, 90, 210), "pink": (236, 110, 170)}
EYE_COLOURS = {"brown": (90, 50, 20), "blue": (40, 110, 220), "green": (40, 150, 60),
               "grey": (110, 120, 130), "hazel": (140, 110, 40), "black": (10, 10, 10)}
FACE_SHAPES = ["round", "oval", "square", "long", "heart", "wide"]
HAIR_STYLES = ["bald", "short", "long", "bun", "curly", "mohawk", "ponytail", "bob", "spiky"]
GLASSES = ["none", "none", "round", "square", "sunglasses"]
FACIAL_HAIR = ["none", "none", "none", "moustache", "beard", "goatee"]
HATS = ["none", "none", "none", "cap", "beanie", "tophat"]
CLOTHING_COLOURS = {"red": (210, 40, 40), "orange": (240, 140, 30), "yellow": (240, 210, 40),
                    "green": (40, 160, 60), "teal": (30, 150, 150), "blue": (40, 80, 200),
                    "navy": (25, 35, 90), "purple": (130, 50, 170), "pink": (240, 120, 180),
                    "white": (240, 240, 240), "black": (30, 30, 30), "grey": (128, 128, 128),
                    "brown": (120, 80, 50), "khaki": (190, 170, 120)}
PATTERNS = ["plain", "plain", "stripes", "dots", "check"]
BUILDS = ["slim", "medium", "broad"]

SPECIES = ["dog", "cat", "rabbit", "hamster"]
FUR_COLOURS = {"black": (30, 28, 28), "white": (240, 238, 232), "ginger": (220, 120, 40),
               "brown": (120, 76, 40), "grey": (130, 130, 135), "cream": (238, 214, 170),
               "golden": (214, 170, 80), "chocolate": (80, 50, 30)}
FUR_PATTERNS = ["solid", "solid", "spots", "patch", "stripes", "socks"]
EAR_SHAPES = ["pointy", "floppy", "round", "long"]
TAILS = ["short", "long", "fluffy", "none"]
COLLARS = {"none": None, "red": (210, 30, 30), "blue": (30, 80, 210), "green": (30, 160, 60),
           "yellow": (240, 210, 30), "purple": (130, 40, 170)}

FIRST_NAMES = ["Ava", "Ben", "Chloe", "Dan", "Eve", "Finn", "Gia", "Hugo", "Iris", "Jack", "Kira", "Leo",
               "Maya", "Nico", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will",
               "Xena", "Yuri", "Zoe"]
PET_NAMES = ["Biscuit", "Pepper", "Luna", "Max", "Mochi", "Rex", "Tofu", "Ziggy", "Bean", "Olive"]

SPLITS = ("train", "heldout")


def identity_seed(split: str, kind: str, index: int) -> int:
    digest = hashlib.sha256(f"cavendish-world/{split}/{kind}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


@dataclass(frozen=True)
class Person:
    name: str
    split: str
    index: int
    face: str
    skin: tuple
    hair_style: str
    hair_colour: str
    eye_colour: str
    glasses: str
    facial_hair: str
    hat: str
    hat_colour: str
    shirt_colour: str
    shirt_pattern: str
    pattern_colour: str
    trouser_colour: str
    build: str
    height: float  # relative, 0.85..1.1
    kind: str = "person"


@dataclass(frozen=True)
class Pet:
    name: str
    split: str
    index: int
    species: str
    fur: str
    fur_pattern: str
    pattern_fur: str
    ears: str
    tail: str
    eye_colour: str
    collar: str
    size: float
    kind: str = "pet"


def _pick(r: random.Random, seq):
    return seq[r.randrange(len(seq))]


@lru_cache(maxsize=65536)
def person(split: str, index: int) -> Person:
    r = random.Random(identity_seed(split, "person", index))
    hair_style = _pick(r, HAIR_STYLES)
    clothing = list(CLOTHING_COLOURS)
    shirt = _pick(r, clothing)
    pattern_colour = _pick(r, [c for c in clothing if c != shirt])
    return Person(
        name=f"{_pick(r, FIRST_NAMES)}-{split[0]}{index}", split=split, index=index,
        face=_pick(r, FACE_SHAPES), skin=_pick(r, SKIN_TONES), hair_style=hair_style,
        hair_colour=_pick(r, list(HAIR_COLOURS)), eye_colour=_pick(r, list(EYE_COLOURS)),
        glasses=_pick(r, GLASSES), facial_hair=_pick(r, FACIAL_HAIR), hat=_pick(r, HATS),
        hat_colour=_pick(r, clothing), shirt_colour=shirt, shirt_pattern=_pick(r, PATTERNS),
        pattern_colour=pattern_colour, trouser_colour=_pick(r, ["navy", "black", "grey", "brown", "khaki", "blue", "green"]),
        build=_pick(r, BUILDS), height=r.uniform(0.85, 1.1))


@lru_cache(maxsize=65536)
def pet(split: str, index: int) -> Pet:
    r = random.Random(identity_seed(split, "pet", index))
    species = _pick(r, SPECIES)
    fur = _pick(r, list(FUR_COLOURS))
    ears = {"rabbit": "long", "cat": "pointy"}.get(species) if r.random() < 0.6 else None
    return Pet(
        name=f"{_pick(r, PET_NAMES)}-{split[0]}{index}", split=split, index=index, species=species,
        fur=fur, fur_pattern=_pick(r, FUR_PATTERNS),
        pattern_fur=_pick(r, [c for c in FUR_COLOURS if c != fur]), ears=ears or _pick(r, EAR_SHAPES),
        tail=_pick(r, TAILS), eye_colour=_pick(r, ["brown", "green", "blue", "black", "hazel"]),
        collar=_pick(r, list(COLLARS)), size=r.uniform(0.8, 1.15))


def identity(kind: str, split: str, index: int):
    return person(split, index) if kind == "person" else pet(split, index)
