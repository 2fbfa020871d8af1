"""Match animation channel names (ARKit-52, FLAME "Exp000"..., anything) to a rig's shape-key names.

Pure Python (no bpy) so it is testable anywhere. Names are compared as lower-case word tokens with
the side (Left/Right, L/R) taken out: "eyeBlinkLeft", "eye_blink_L", "A01_EyeBlink.l" and
"EyeBlink_Left_morph" all read as (eye blink, left). A shape key may carry extra tokens only if they
are not words of the channel vocabulary ("A01", "blendShape1", "morph" are fine; "smile" is not), so
mouthLeft never grabs mouthSmile_L. A channel without a side whose rig is split in halves
(browInnerUp_L + browInnerUp_R) drives both halves.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SIDES = {"l": "L", "left": "L", "lf": "L", "r": "R", "right": "R", "rt": "R"}


def tokens(name: str) -> tuple[tuple[str, ...], str | None]:
    """(lower-case word tokens without side tags, side 'L'/'R'/None); numbers lose leading zeros."""
    words: list[str] = []
    side = None
    for tok in _TOKEN.findall(name):
        low = tok.lower()
        if low in _SIDES:
            side = _SIDES[low]
        elif low.isdigit():
            words.append(str(int(low)))
        else:
            words.append(low)
    return tuple(words), side


def _find(core: tuple[str, ...], words: tuple[str, ...]) -> int:
    """Start of `core` as a contiguous run inside `words`, or -1."""
    n = len(core)
    for i in range(len(words) - n + 1):
        if words[i:i + n] == core:
            return i
    return -1


def _score(channel: str, key: str, vocabulary: set[str]) -> float | None:
    """How well a shape-key name fits a channel name: 0 exact, higher worse, None no match."""
    if key == channel:
        return 0.0
    if key.lower() == channel.lower():
        return 0.1
    core, side = tokens(channel)
    words, key_side = tokens(key)
    if not core:
        return None
    start = _find(core, words)
    if start < 0:
        return None
    extra = words[:start] + words[start + len(core):]
    if any(w in vocabulary for w in extra):
        return None
    if key_side == side:
        return 1.0 + 0.01 * len(extra)
    if side is None:  # an unsided channel may drive a rig's split halves
        return 2.0 + 0.01 * len(extra)
    return None


def match(channels: Sequence[str], shape_keys: Iterable[str]) -> dict[str, list[str]]:
    """channel -> shape keys it drives (usually one; two for a rig split in L/R halves).

    Every channel appears in the result (an empty list means unmapped); each shape key is used
    by at most one channel, the one it fits best.
    """
    keys = [k for k in shape_keys]
    vocabulary = {w for c in channels for w in tokens(c)[0]}
    candidates = []
    for ci, channel in enumerate(channels):
        for ki, key in enumerate(keys):
            score = _score(channel, key, vocabulary)
            if score is not None:
                candidates.append((score, ci, ki))
    candidates.sort()
    result: dict[str, list[str]] = {c: [] for c in channels}
    best: dict[str, float] = {}
    taken: set[int] = set()
    for score, ci, ki in candidates:
        channel = channels[ci]
        if ki in taken:
            continue
        # A channel takes more than one key only for the equally good halves of a split rig.
        if channel in best and not (score >= 2.0 and best[channel] >= 2.0):
            continue
        result[channel].append(keys[ki])
        best.setdefault(channel, score)
        taken.add(ki)
    return result


def summary(mapping: dict[str, list[str]]) -> tuple[int, list[str]]:
    """(number of mapped channels, names of unmapped channels)."""
    unmapped = [c for c, targets in mapping.items() if not targets]
    return len(mapping) - len(unmapped), unmapped
