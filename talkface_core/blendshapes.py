"""The ARKit-52 blendshape vocabulary: canonical names and order, facial regions, mirror pairs.

The order is ARFaceAnchor.BlendShapeLocation as Live Link Face and EmoTalk write it; every
array of ARKit weights in talkface (T x 52) uses it.
"""
from __future__ import annotations

ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52

ARKIT_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_NAMES)}

# Regions by the prefix ARKit itself uses; evaluation splits lips (content) from the rest (emotion).
GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(n for n in ARKIT_NAMES if n.startswith(prefix))
    for group, prefix in (
        ("eyes", "eye"), ("jaw", "jaw"), ("mouth", "mouth"), ("brows", "brow"),
        ("cheeks", "cheek"), ("nose", "nose"), ("tongue", "tongue"),
    )
}
assert sum(len(v) for v in GROUPS.values()) == 52

# What speech content drives; everything else is the emotion/expression region.
LIP_NAMES: tuple[str, ...] = GROUPS["jaw"] + GROUPS["mouth"] + GROUPS["tongue"]
EMOTION_REGION_NAMES: tuple[str, ...] = tuple(n for n in ARKIT_NAMES if n not in LIP_NAMES)


def _mirror(name: str) -> str:
    """The name of the other side's shape ("eyeBlinkLeft" -> "eyeBlinkRight"); itself if unsided.

    jawLeft/jawRight and mouthLeft/mouthRight are also mirrors of each other.
    """
    for a, b in (("Left", "Right"), ("Right", "Left")):
        if name.endswith(a):
            return name[: -len(a)] + b
    return name


MIRROR: dict[str, str] = {n: _mirror(n) for n in ARKIT_NAMES}
MIRROR_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (n, MIRROR[n]) for n in ARKIT_NAMES if n.endswith("Left")
)
MIRROR_INDEX: tuple[int, ...] = tuple(ARKIT_INDEX[MIRROR[n]] for n in ARKIT_NAMES)
assert all(m in ARKIT_INDEX for m in MIRROR.values())


def indices(names: tuple[str, ...] | list[str]) -> list[int]:
    """Positions of ARKit names in the canonical order (KeyError names the unknown one)."""
    return [ARKIT_INDEX[n] for n in names]
