"""The deterministic layout planner: where each subject of a prompt goes (the Swift pipeline must match).

The world stands its n subjects left to right, subject i centred in the i-th of n equal slots of the
image width (within +-15% of a slot). The planner gives subject i (placeholder <p{i+1}>) the i-th of n
vertical strips over the DiT's token grid: token (row y, column x) belongs to subject (x * n) // grid,
integer arithmetic only, so every token belongs to exactly one subject. The same strips serve as the
training layout (from each scene's subject count) and the inference layout (from the prompt's), so the
model never sees a layout unlike the one it is given.
"""
from __future__ import annotations

import numpy as np


def strips(n_subjects: int, grid: int = 16) -> np.ndarray:
    """[grid*grid, n_subjects] float32 0/1, tokens row-major."""
    lay = np.zeros((grid * grid, max(n_subjects, 0)), np.float32)
    for y in range(grid):
        for x in range(grid):
            if n_subjects > 0:
                lay[y * grid + x, (x * n_subjects) // grid] = 1.0
    return lay


def pixel_box(i: int, n_subjects: int, size: int = 128, grid: int = 16) -> tuple[int, int, int, int]:
    """Subject i's strip as an image box (x0, y0, x1, y1), x1/y1 exclusive."""
    cols = [x for x in range(grid) if (x * n_subjects) // grid == i]
    cell = size // grid
    return cols[0] * cell, 0, (cols[-1] + 1) * cell, size
