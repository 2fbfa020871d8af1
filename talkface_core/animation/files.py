"""Animation files: talkface JSON and NPZ here, Live Link Face CSV in live_link.py. Every write is
atomic, and JSON is written frame by frame so long, high-rate clips never sit in memory as text.
JSON and NPZ also keep the emotion keys the animation was made with ("emotion_timeline", optional;
Live Link Face CSV has no place for them)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .channels import ARKIT52, CHANNEL_SETS, FLAME
from .curves import Animation, AnimationError

FORMAT = "talkface.animation"
FORMAT_VERSION = 2   # 2: "channels" names the channel set; rotation channels
SUFFIXES = (".json", ".csv", ".npz")


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise AnimationError(f"unknown animation format {suffix or '(none)'!r} for {path.name}: "
                             "use .json, .csv or .npz")
    return suffix


def save(anim: Animation, path: Path) -> Path:
    from .live_link import write_csv

    suffix = check_suffix(path)
    if suffix == ".json":
        with atomic_write(path) as f:
            _write_json(anim, f)
    elif suffix == ".csv":
        write_csv(anim, path)
    else:
        timeline = ({} if anim.emotion_timeline is None
                    else {"emotion_timeline": np.str_(json.dumps(anim.emotion_timeline.to_dict()))})
        with atomic_write(path, "wb") as f:
            np.savez_compressed(f, weights=anim.weights, names=np.array(anim.names),
                                fps=np.float64(anim.fps), channels=np.str_(anim.channels.name),
                                rotation_names=np.array(anim.rotation_names, dtype=str),
                                rotations=anim.rotations, **timeline)
    return path


def _rows(values: np.ndarray) -> str:
    return ",".join("[" + ",".join(f"{round(float(v), 6):g}" for v in row) + "]" for row in values)


def _write_json(anim: Animation, f) -> None:
    head = {"format": FORMAT, "version": FORMAT_VERSION, "fps": anim.fps,
            "channels": anim.channels.name, "names": list(anim.names),
            "rotation_names": list(anim.rotation_names)}
    if anim.emotion_timeline is not None:
        head["emotion_timeline"] = anim.emotion_timeline.to_dict()
    f.write(json.dumps(head, separators=(",", ":"))[:-1])
    for key, values in (("frames", anim.weights), ("rotations", anim.rotations)):
        f.write(f',"{key}":[')
        for start in range(0, len(values), 4096):  # bounded text per write
            f.write(("," if start else "") + _rows(values[start:start + 4096]))
        f.write("]")
    f.write("}")


def _channel_set(name: object, bounds: object):
    if name is None:  # version 1 files: the channel set follows from the bounds they recorded
        return ARKIT52 if bounds else FLAME
    if name not in CHANNEL_SETS:
        raise AnimationError(f"unknown channel set {name!r}")
    return CHANNEL_SETS[name]


def _timeline(doc: object):
    """The stored emotion keys, or None when the file has none."""
    from ..emotion_timeline import EmotionTimeline, TimelineError

    if doc is None:
        return None
    try:
        return EmotionTimeline.from_dict(doc)
    except TimelineError as exc:
        raise AnimationError(f"its emotion_timeline is not valid: {exc}") from None


def load(path: Path, *, fps: float | None = None) -> Animation:
    from .live_link import read_csv

    if not path.is_file():
        raise AnimationError(f"animation file not found: {path}")
    suffix = check_suffix(path)
    try:
        if suffix == ".json":
            doc = json.loads(path.read_text())
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise AnimationError(f"{path.name} is not a talkface animation")
            names, rot_names = doc["names"], doc.get("rotation_names", [])
            # Kept as read (not float32 yet): Animation names a value float32 cannot hold.
            frames = np.array(doc["frames"]).reshape(-1, len(names))
            rotations = np.array(doc.get("rotations", [])).reshape(len(frames), len(rot_names))
            return Animation(names, doc["fps"], frames, strict=True,
                             channels=_channel_set(doc.get("channels"), doc.get("bounds")),
                             rotation_names=rot_names, rotations=rotations,
                             emotion_timeline=_timeline(doc.get("emotion_timeline")))
        if suffix == ".csv":
            return read_csv(path, fps)
        with np.load(path, allow_pickle=False) as data:
            channels = (_channel_set(str(data["channels"]), None) if "channels" in data
                        else _channel_set(None, data["bounds"].size))
            rot_names = [str(n) for n in data["rotation_names"]] if "rotation_names" in data else []
            timeline = (_timeline(json.loads(str(data["emotion_timeline"])))
                        if "emotion_timeline" in data else None)
            return Animation([str(n) for n in data["names"]], float(data["fps"]), data["weights"],
                             channels=channels, strict=True, rotation_names=rot_names,
                             rotations=data["rotations"] if rot_names else None, emotion_timeline=timeline)
    except AnimationError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise AnimationError(f"{path.name} is not a readable animation: {exc}") from None
