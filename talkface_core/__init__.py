"""talkface engine: audio in, facial animation out. Never imports bpy.

`from talkface_core import generate, GenerationRequest` works without loading the engine: the
names resolve on first use (module __getattr__), so importing the package stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .emotion_timeline import EmotionKey, EmotionTimeline
    from .pipeline import generate, read_emotion
    from .request import ARKIT, FlameOutput, GenerationRequest, RequestError

__all__ = ["ARKIT", "EmotionKey", "EmotionTimeline", "FlameOutput", "GenerationRequest", "RequestError",
           "generate", "read_emotion"]

_LAZY = {"generate": "pipeline", "read_emotion": "pipeline", "GenerationRequest": "request",
         "FlameOutput": "request", "RequestError": "request", "ARKIT": "request",
         "EmotionKey": "emotion_timeline", "EmotionTimeline": "emotion_timeline"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
