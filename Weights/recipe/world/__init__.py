"""The Cavendish synthetic photo-library world (seeded, versioned).

Bump GENERATOR_VERSION whenever a change alters any rendered pixel, caption or label for a given seed.
"""
GENERATOR_VERSION = "1.0.0"

from .scene import Scene, sample_scene, render, reference_photo, NUM_IDENTITIES  # noqa: E402,F401
from .draw import SETTINGS  # noqa: E402,F401
from .styles import STYLES  # noqa: E402,F401
