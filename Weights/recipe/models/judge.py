"""Evaluation judges: small CNN classifiers trained only on ground-truth world renders.
They share no weights (and no architecture code) with the reference encoder."""
from __future__ import annotations

import torch
import torch.nn as nn


class Judge(nn.Module):
    def __init__(self, heads: dict, width: int = 32, levels: int = 4):
        super().__init__()
        layers, c = [], 3
        for i in range(levels):
            co = width * min(2 ** i, 4)
            layers += [nn.Conv2d(c, co, 3, stride=2, padding=1), nn.GroupNorm(8, co), nn.SiLU(),
                       nn.Conv2d(co, co, 3, padding=1), nn.GroupNorm(8, co), nn.SiLU()]
            c = co
        self.features = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({k: nn.Linear(c, n) for k, n in heads.items()})

    def forward(self, x):
        f = self.features(x).mean(dim=(2, 3))
        return {k: h(f) for k, h in self.heads.items()}
