"""eyeLook* weights from the eye rotation channels, for rigs that turn the eyes with shape keys.

Each eye's yaw/pitch (degrees; yaw + towards the character's left, pitch + down) over
EYE_RANGE_DEG, split into the four directions of that eye: looking to the character's left is
eyeLookOutLeft for the left eye and eyeLookInRight for the right one. Added to the network's own
eyeLook weights.

The upper lid follows the eye up and down (lid-eye coupling: the lid moves with every vertical
saccade, about as far as the eye turns; Becker & Fuchs 1988): a look down lowers the lid
(eyeBlink) and a look up lifts it (eyeWide), so eyes looking down never stare out of wide-open
lids. The lid closes over a full-range look down by LID_PER_LOOK_DOWN of a blink.
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .gaze import EYE_RANGE_DEG
from .rotation_channels import rotation

LID_PER_LOOK_DOWN = 0.6
LID_PER_LOOK_UP = 0.3
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
    looks = look_weights(anim)
    for name, value in looks.items():
        if name in anim.names:
            col = anim.names.index(name)
            w[:, col] = np.clip(w[:, col] + value, 0.0, 1.0)
    for eye, _, _ in EYES:
        # A blink closes the lid from wherever it is: the coupling fills what the blink leaves open.
        for shape, per_look, look in ((f"eyeBlink{eye}", LID_PER_LOOK_DOWN, f"eyeLookDown{eye}"),
                                      (f"eyeWide{eye}", LID_PER_LOOK_UP, f"eyeLookUp{eye}")):
            if shape in anim.names:
                col = anim.names.index(shape)
                w[:, col] += (1.0 - w[:, col]) * np.clip(per_look * looks[look], 0.0, 1.0)
    return anim.with_weights(w)
