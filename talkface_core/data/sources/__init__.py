"""Corpus sources. Each module gives jobs(...) -> list of job dicts (picklable, with a unique
"id") and render(job) -> Rendered. Licenses live in licenses.py."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Rendered:
    audio: np.ndarray                          # float32 mono 16 kHz
    phones: list[tuple[float, float, str]]     # (start s, end s, symbol of phone_set)
    phone_set: str                             # a phonesets.PHONE_SETS key
    meta: dict = field(default_factory=dict)   # emotion, intensity, speaker, style, text, sentence, ...
