"""talkface engine: audio in, facial animation out. Never imports bpy."""
from __future__ import annotations

from typing import Any

__all__ = ["generate"]


def generate(*args: Any, **kwargs: Any):  # noqa: ANN201 - returns talkface_core.animation.Animation
    """Audio to Animation; see talkface_core.inference.generate (imported lazily: torch is heavy)."""
    from .inference import generate as _generate

    return _generate(*args, **kwargs)
