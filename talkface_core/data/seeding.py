"""Seeds derived from (global seed, name): the same clip gets the same randomness whatever
process builds it and in whatever order."""
from __future__ import annotations

import hashlib

import numpy as np


def rng_for(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
