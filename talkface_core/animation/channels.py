"""What an Animation's channels are, declared by whoever makes it, so consumers (file writers, the
Blender add-on) dispatch on it and never guess from channel names.

- ARKIT52: ARKit blendshape weights in [0, 1] (all 52, or some of them).
- FLAME: FLAME expression coefficients Exp000.. plus the jaw's axis-angle JawRotX/Y/Z (unbounded).
- VALUES: any other unbounded named values (tests, tools).

Beside its weight channels an Animation may carry rotation channels, in degrees: the head and eye
rotations Live Link Face records after the 52 blendshapes (ROTATION_NAMES, in its column order),
in the character's own frame: yaw + turns to the character's left, pitch + looks down (chin
down), roll + tilts the top of the head towards the character's left shoulder.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelSet:
    name: str
    bounds: tuple[float, float] | None   # valid value range; None: unbounded


ARKIT52 = ChannelSet("arkit52", (0.0, 1.0))
FLAME = ChannelSet("flame", None)
VALUES = ChannelSet("values", None)
CHANNEL_SETS = {c.name: c for c in (ARKIT52, FLAME, VALUES)}

ROTATION_NAMES: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
