"""eyeLook* weights from the eye rotation channels, for rigs that turn the eyes with shape keys.

Each eye's yaw/pitch (degrees; yaw + towards the character's left, pitch + down) over
EYE_RANGE_DEG, split into the four directions of that eye: looking to the character's left is
eyeLookOutLeft for the left eye and eyeLookInRight for the right one. Added to the network's own
eyeLook weights.
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .gaze import EYE_RANGE_DEG
from .rotation_channels import rotation

# (eye, the shape for yaw +, for yaw -)
EYES = (("Left", "eyeLookOutLeft", "eyeLookInLeft"), ("Right", "eyeLookInRight", "eyeLookOutRight"))


def look_weights(anim: Animation) -> dict[str, np.ndarray]:
    looks = {}
    for eye, to_left, to_right in EYES:
        yaw = rotation(anim, f"{eye}EyeYaw") / EYE_RANGE_DEG
        pitch = rotation(anim, f"{eye}EyePitch") / EYE_RANGE_DEG
        looks |= {to_left: np.clip(yaw, 0, None), to_right: np.clip(-yaw, 0, None),
                  f"eyeLookDown{eye}": np.clip(pitch, 0, None), f"eyeLookUp{eye}": np.clip(-pitch, 0, None)}
    return looks


def add_eye_looks(anim: Animation) -> Animation:
    if not any(n.endswith(("EyeYaw", "EyePitch")) for n in anim.rotation_names):
        return anim
    w = anim.weights.copy()
    for name, value in look_weights(anim).items():
        if name in anim.names:
            col = anim.names.index(name)
            w[:, col] = np.clip(w[:, col] + value, 0.0, 1.0)
    return anim.with_weights(w)
