"""Reading and writing an Animation's rotation channels (degrees) by name, in ROTATION_NAMES order."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..animation import Animation
from ..animation.channels import ROTATION_NAMES


def rotation(anim: Animation, name: str) -> np.ndarray:
    """A rotation channel in degrees; zeros when the animation lacks it."""
    if name in anim.rotation_names:
        return anim.rotations[:, anim.rotation_names.index(name)].astype(np.float64)
    return np.zeros(anim.num_frames)


def with_rotations(anim: Animation, values: Mapping[str, np.ndarray]) -> Animation:
    """The animation with these rotation channels set (others kept), in Live Link Face's order."""
    merged = {n: rotation(anim, n) for n in anim.rotation_names} | dict(values)
    names = [n for n in ROTATION_NAMES if n in merged]
    return anim.with_rotations(names, np.stack([merged[n] for n in names], axis=1)
                               if names else np.zeros((anim.num_frames, 0)))
