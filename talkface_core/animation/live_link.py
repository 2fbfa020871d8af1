"""Live Link Face CSV: the layout Epic's Live Link Face app records, read by Unreal and many
importers. Columns are written in the app's own order (it lists JawRight before JawLeft and
MouthRight before MouthLeft, unlike Apple's ARKit order), because several importers read by
position; reading goes by name, so files in either order load.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..blendshapes import ARKIT_NAMES
from .channels import ARKIT52, ROTATION_NAMES
from .curves import Animation, AnimationError

# The app's blendshape columns, in its order (lowerCamelCase ARKit names, capitalised).
APP_BLENDSHAPE_ORDER: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawRight", "jawLeft", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker",
    "mouthRight", "mouthLeft", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp",
    "browOuterUpLeft", "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut")
assert sorted(APP_BLENDSHAPE_ORDER) == sorted(ARKIT_NAMES)

# Frame rates editors use; a rate measured from timecodes snaps to one of these when it is this close.
COMMON_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 90.0, 120.0)
_FPS_SNAP = 5e-4


def column_name(name: str) -> str:
    return name[0].upper() + name[1:]


HEADER: tuple[str, ...] = ("Timecode", "BlendShapeCount",
                           *(column_name(n) for n in APP_BLENDSHAPE_ORDER), *ROTATION_NAMES)


def _timecode(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF.fff with FF counted at the nominal (whole) rate and .fff the sub-frame part."""
    nominal = round(fps)
    ticks = round(seconds * nominal * 1000)  # thousandths of a nominal frame: no rounding carry bugs
    frames, sub = divmod(ticks, 1000)
    whole, ff = divmod(frames, nominal)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}:{ff:02d}.{sub:03d}"


def _timecode_seconds(code: str, nominal: int) -> float:
    h, m, s, f = code.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s) + float(f) / nominal


def check_writable(anim: Animation) -> None:
    if anim.channels != ARKIT52 or set(anim.names) != set(ARKIT_NAMES):
        raise AnimationError("Live Link Face CSV holds the 52 ARKit blendshapes only; "
                             "save other output spaces as .json or .npz")


def write_csv(anim: Animation, path: Path) -> None:
    check_writable(anim)
    weights = anim.weights[:, [anim.names.index(n) for n in APP_BLENDSHAPE_ORDER]]
    rotations = np.zeros((anim.num_frames, len(ROTATION_NAMES)), np.float32)
    for i, name in enumerate(anim.rotation_names):
        rotations[:, ROTATION_NAMES.index(name)] = anim.rotations[:, i]
    count = len(HEADER) - 2
    with atomic_write(path, newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(anim.num_frames):
            out.writerow([_timecode(i / anim.fps, anim.fps), count,
                          *(f"{v:.6g}" for v in weights[i]), *(f"{v:.6g}" for v in rotations[i])])


def read_csv(path: Path, fps: float | None) -> Animation:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or [c.lower() for c in rows[0][:2]] != ["timecode", "blendshapecount"]:
        raise AnimationError(f"{path.name} is not a Live Link Face CSV (no Timecode header)")
    column = {name: i for i, name in enumerate(rows[0])}
    missing = [n for n in ARKIT_NAMES if column_name(n) not in column]
    if missing:
        raise AnimationError(f"{path.name} lacks blendshape columns: {', '.join(missing[:5])}")
    body = [r for r in rows[1:] if r]
    cols = [column[column_name(n)] for n in ARKIT_NAMES]
    weights = np.array([[float(r[c]) for c in cols] for r in body], dtype=np.float32)
    rot_names = [n for n in ROTATION_NAMES if n in column]
    rotations = np.array([[float(r[column[n]]) for n in rot_names] for r in body], np.float32)
    if fps is None:
        fps = _fps_from_timecodes([r[0] for r in body], path.name)
    return Animation(ARKIT_NAMES, fps, weights.reshape(-1, len(ARKIT_NAMES)), strict=True,
                     rotation_names=rot_names, rotations=rotations.reshape(-1, len(rot_names)))


def _fps_from_timecodes(codes: list[str], name: str) -> float:
    if len(codes) < 2:
        raise AnimationError(f"{name}: too few frames to measure the frame rate; pass fps")
    # The nominal rate is the largest frame field + 1 only on long files; try each candidate.
    frame_fields = [float(c.split(":")[3]) for c in codes]
    for nominal in sorted({round(f) for f in COMMON_FPS}):
        if max(frame_fields) >= nominal:
            continue
        times = np.array([_timecode_seconds(c, nominal) for c in codes])
        steps = np.diff(times)
        if (steps <= 0).any():
            continue
        measured = (len(times) - 1) / (times[-1] - times[0])
        if round(measured) != nominal:
            continue
        closest = min(COMMON_FPS, key=lambda c: abs(c - measured))
        return closest if abs(closest - measured) <= _FPS_SNAP * closest else float(measured)
    raise AnimationError(f"{name}: cannot tell the frame rate from its timecodes; pass fps")
