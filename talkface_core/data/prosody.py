"""The teacher's prosody: the runtime measures of talkface_core/prosody.py (one implementation for
the corpus and for generation), under the names data/ modules import."""
from __future__ import annotations

from ..prosody import emphasis, loudness, pitch, smooth

__all__ = ["emphasis", "loudness", "pitch", "smooth"]
