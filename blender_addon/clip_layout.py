"""Where a new clip goes and what it is called: at the playhead, or the first stretch after it
that no other clip covers (clips added without moving the playhead line up one after another
instead of piling onto one frame), under a name no other clip has (tracks are named after
clips). No bpy: the operator passes the clips' frame spans and names."""
from __future__ import annotations

import math
from collections.abc import Collection, Iterable


def audio_frames(path: str, fps: float) -> int:
    """How many frames at `fps` the audio file lasts, read from its header (cheap); ValueError
    with a readable message when it is not audio libsndfile can read, or holds no samples."""
    import soundfile  # bundled with the extension; imported here so the module loads without it

    try:
        info = soundfile.info(path)
    except RuntimeError as exc:  # soundfile.LibsndfileError, on every soundfile version
        raise ValueError(f"cannot read {path} as audio: {exc}") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise ValueError(f"{path} holds no audio samples")
    return max(1, math.ceil(info.frames / info.samplerate * fps))


def free_start(playhead: int, length: int, spans: Iterable[tuple[int, int]]) -> int:
    """The first frame >= max(playhead, 0) from which `length` frames overlap none of the
    inclusive (first, last) frame spans."""
    start = max(playhead, 0)
    # One pass in order of first frame suffices: a span passed over without overlapping ends
    # before `start`, and start only grows.
    for first, last in sorted(spans):
        if first <= start + length - 1 and last >= start:
            start = last + 1
    return start


def unique_name(stem: str, taken: Collection[str]) -> str:
    """`stem`, or Blender's own style of duplicate name ("speech.001") when it is taken."""
    if stem not in taken:
        return stem
    return next(name for i in range(1, len(taken) + 2)
                if (name := f"{stem}.{i:03d}") not in taken)
