"""What the demo head's shape keys add to ICT FaceKit's: eyeballs that turn, a tongue that comes
out, and no stray moves. ICT coordinates: centimetres, Y up, the face towards +Z.

ICT's eyeLook* shapes move only the lids: the eyeballs are meant to be rotated by a rig. Here the
rotation is baked into those keys (a shape key moves vertices along straight lines, so a half-way
gaze shrinks the eyeball by 1 - cos(angle / 2): 4% at 35°, well behind the lids and occlusion).
ICT has no tongue shape; tongueOut is made from the tongue geometry.
"""
from __future__ import annotations

import numpy as np

from .ict_parts import VERTICES, Eye, span

# Gaze at weight 1, degrees (ARKit leaves the scale to the rig; these match ICT's lid shapes).
GAZE_DEGREES = {"Out": 35.0, "In": 35.0, "Up": 25.0, "Down": 30.0}
_GAZE_TOWARDS = {"Up": (0, 1, 0), "Down": (0, -1, 0), "Out": (1, 0, 0), "In": (-1, 0, 0)}  # left eye
# tongueOut: the front of the tongue slides forward between the teeth and past the lips.
TONGUE_ROOT_Z, TONGUE_FRONT_Z = 4.5, 9.0   # the tongue stretches from here, moves whole from there
TONGUE_OUT, TONGUE_RISE = 3.4, 1.0         # cm forward and up at the front
TONGUE_NARROW, TONGUE_THIN = 0.25, 0.3     # the out part is this much narrower and thinner


def _rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rotation matrix about a unit axis (Rodrigues)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    a = np.radians(degrees)
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def gaze(verts: np.ndarray, eye: Eye, side: str, look: str) -> np.ndarray:
    """The displacement (N, 3) that turns one eyeball for eyeLook{look}{side}."""
    towards = np.array(_GAZE_TOWARDS[look], float)
    if side == "right" and look in ("Out", "In"):
        towards = -towards  # the right eye looks out towards -x
    axis = np.cross([0.0, 0.0, 1.0], towards)
    ball = span(VERTICES, f"eyeball_{side}")
    out = np.zeros_like(verts)
    q = verts[ball] - eye.centre
    out[ball] = q @ _rotation(axis, GAZE_DEGREES[look]).T - q
    return out


def tongue_out(verts: np.ndarray) -> np.ndarray:
    """The tongueOut displacement (N, 3): the front of the tongue rises over the lower incisors
    and slides out past the lips, thinner and narrower, stretching back to the root. The tongue
    rides on the jaw, so with the jaw open (as ARKit captures tongueOut) it passes between the
    teeth."""
    t = np.clip((verts[:, 2] - TONGUE_ROOT_Z) / (TONGUE_FRONT_Z - TONGUE_ROOT_Z), 0.0, 1.0)
    weight = np.zeros(len(verts))
    tongue = span(VERTICES, "tongue")
    weight[tongue] = (t * t * (3 - 2 * t))[tongue]
    middle = np.average(verts[:, 1], weights=weight)
    out = np.zeros_like(verts)
    out[:, 0] = -TONGUE_NARROW * weight * verts[:, 0]
    out[:, 1] = weight * (TONGUE_RISE - TONGUE_THIN * (verts[:, 1] - middle))
    out[:, 2] = TONGUE_OUT * weight
    return out


def only_their_parts(deltas: dict[str, np.ndarray]) -> None:
    """Zero what a key should not move (ICT leaves sub-millimetre noise on the gums of some
    keys): only the jaw keys and tongueOut move inside the mouth, only eyeLook* the eyeballs."""
    inside = np.concatenate([span(VERTICES, "gums_tongue"), span(VERTICES, "teeth")])
    eyeballs = np.concatenate([span(VERTICES, "eyeball_left"), span(VERTICES, "eyeball_right")])
    for name, moves in deltas.items():
        if not name.startswith(("jaw", "tongue")):
            moves[inside] = 0.0
        if not name.startswith("eyeLook"):
            moves[eyeballs] = 0.0
