"""Emotion that changes within a clip: keys of (time, emotion or blend, intensity), eased between.

Inline form (`talkface generate --emotion`, printed by `talkface emotions`): keys separated by
spaces, each EMOTION:INTENSITY@SECONDS. EMOTION is a name, or a blend of names joined by "+",
each with its weight in front; a blend's weights sum to 1:

    neutral:0.3@0 happy:0.8@1.5 0.6happy+0.4surprise:0.6@3 sad:0.7@5

Track files hold the same keys: JSON, `{"transition_s": 0.3, "keys": [{"time_s": 0, "emotion":
"neutral", "intensity": 0.3}, {"time_s": 3, "emotion": {"happy": 0.6, "surprise": 0.4},
"intensity": 0.6}]}` (or just the list of keys), or CSV with the header `time_s,emotion,intensity`
and the emotion written as in the inline form.

What the network sees per frame is emotion vector x intensity (its one conditioning input). That
product moves from one key's value to the next with a smoothstep over `transition_s`, centred on
the later key's time, so the midpoint of every change lands on its key; the decoder is linear in
it, so no frame pops. Before the first key the first key holds; after the last, the last.
"""
from __future__ import annotations

import csv
import io
import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from .atomic import atomic_write
from .emotions import EMOTIONS, check_emotion

DEFAULT_TRANSITION_S = 0.3
MAX_TRANSITION_S = 10.0
WEIGHT_TOLERANCE = 0.01     # a blend written with two decimals (0.33+0.33+0.34) still sums to 1
CSV_HEADER = ("time_s", "emotion", "intensity")
TRACK_SUFFIXES = (".json", ".csv")

_KEY_TEXT = re.compile(r"^(?P<emotion>[^:@]+):(?P<intensity>[^@]+)@(?P<time>[^@]+?)s?$")
_BLEND_PART = re.compile(r"^(?P<weight>\d*\.?\d+(?:e-?\d+)?)?\s*\*?\s*(?P<name>[a-z_]+)$")


class TimelineError(ValueError):
    """An emotion key or timeline that cannot work; the message names the key."""


def _real(what: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TimelineError(f"{what} must be a number, got {value!r}")
    return float(value)


def _num(x: float) -> str:
    """A number as the inline form and the files write it: at most 3 decimals, no trailing zeros."""
    return f"{round(x, 3):g}"


def _weights(value: object) -> Mapping[str, float]:
    """An emotion name or a {name: weight} blend -> a read-only mapping in EMOTIONS order,
    weights normalised to sum exactly 1."""
    if isinstance(value, str):
        value = {value: 1.0}
    if not isinstance(value, Mapping) or not value:
        raise TimelineError(f"emotion must be a name or a blend {{name: weight}}, got {value!r}")
    blend: dict[str, float] = {}
    for name, weight in value.items():
        try:
            check_emotion(name, allow_auto=False)
        except ValueError as exc:
            raise TimelineError(str(exc)) from None
        w = _real(f"the weight of {name}", weight)
        if not 0.0 <= w <= 1.0:
            raise TimelineError(f"the weight of {name} must be in [0, 1], got {_num(w)}")
        blend[name] = blend.get(name, 0.0) + w
    total = sum(blend.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        parts = " + ".join(f"{_num(w)} {n}" for n, w in blend.items())
        raise TimelineError(f"the weights of a blend must sum to 1, got {parts} = {_num(total)}")
    return MappingProxyType({e: blend[e] / total for e in EMOTIONS if blend.get(e, 0.0) > 0.0})


@dataclass(frozen=True)
class EmotionKey:
    """At `time_s` seconds into the clip the face shows `weights` (an emotion name, or a blend
    {name: weight} summing to 1) at `intensity` (0 = neutral face .. 1)."""

    time_s: float
    weights: Mapping[str, float]
    intensity: float

    def __post_init__(self) -> None:
        time_s = _real("time", self.time_s)
        if time_s < 0:
            raise TimelineError(f"time must be 0 s or later, got {_num(time_s)} s")
        intensity = _real("intensity", self.intensity)
        if not 0.0 <= intensity <= 1.0:
            raise TimelineError(f"intensity must be in [0, 1], got {_num(intensity)}")
        object.__setattr__(self, "time_s", time_s)
        object.__setattr__(self, "weights", _weights(self.weights))
        object.__setattr__(self, "intensity", intensity)

    def __hash__(self) -> int:   # weights is a mapping: hash its items
        return hash((self.time_s, tuple(self.weights.items()), self.intensity))

    @property
    def emotion(self) -> str:
        """The emotion, or the blend as the inline form writes it (0.6happy+0.4surprise)."""
        if len(self.weights) == 1:
            return next(iter(self.weights))
        return "+".join(f"{_num(w)}{n}" for n, w in self.weights.items())

    @property
    def dominant(self) -> str:
        """The emotion with the largest weight."""
        return max(self.weights, key=self.weights.__getitem__)

    def vector(self) -> np.ndarray:
        """The emotion weights over EMOTIONS (float64, sums to 1)."""
        return np.array([self.weights.get(e, 0.0) for e in EMOTIONS])

    def describe(self) -> str:
        return f"{self.emotion} at {_num(self.time_s)} s"

    def inline(self) -> str:
        return f"{self.emotion}:{_num(self.intensity)}@{_num(self.time_s)}"


def _key_error(index: int, what: str, exc: Exception) -> TimelineError:
    return TimelineError(f"emotion key {index} ({what}): {exc}")


@dataclass(frozen=True)
class EmotionTimeline:
    """Emotion keys in time order; the conditioning eases from each key to the next over
    `transition_s` seconds (0: a cut), centred on the later key's time."""

    keys: tuple[EmotionKey, ...]
    transition_s: float = DEFAULT_TRANSITION_S

    def __post_init__(self) -> None:
        if isinstance(self.keys, (str, bytes)) or not isinstance(self.keys, Iterable):
            raise TimelineError(f"an emotion timeline needs a sequence of keys, got {self.keys!r}")
        keys = tuple(self.keys)
        if not keys:
            raise TimelineError("an emotion timeline needs at least one key")
        for i, key in enumerate(keys, 1):
            if not isinstance(key, EmotionKey):
                raise TimelineError(f"emotion key {i} must be an EmotionKey, got {key!r}")
            if i > 1 and key.time_s <= keys[i - 2].time_s:
                raise _key_error(i, key.describe(), TimelineError(
                    f"times must increase: key {i - 1} is at {_num(keys[i - 2].time_s)} s"))
        transition = _real("transition", self.transition_s)
        if not 0.0 <= transition <= MAX_TRANSITION_S:
            raise TimelineError(f"transition must be in [0, {MAX_TRANSITION_S:g}] s, got {_num(transition)}")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "transition_s", transition)

    @classmethod
    def constant(cls, emotion: str | Mapping[str, float], intensity: float) -> EmotionTimeline:
        """One emotion for the whole clip: the one-key timeline."""
        return cls((EmotionKey(0.0, emotion, intensity),))

    def check_within(self, duration_s: float) -> None:
        """TimelineError naming the first key that lies after the end of a clip this long."""
        for i, key in enumerate(self.keys, 1):
            if key.time_s > duration_s:
                raise _key_error(i, key.describe(), TimelineError(
                    f"outside the clip, which is {_num(duration_s)} s long"))

    def conditioning(self, n_frames: int, fps: float) -> np.ndarray:
        """(n_frames, len(EMOTIONS)) float32: emotion vector x intensity at frame i (time i / fps),
        the network's emotion input."""
        t = np.arange(n_frames) / fps
        values = np.stack([k.vector() * k.intensity for k in self.keys])
        times = [k.time_s for k in self.keys] + [math.inf]
        out = np.repeat(values[:1], n_frames, axis=0)
        for i in range(1, len(self.keys)):
            # Closer keys than the transition: each change gets at most half its gaps, so two
            # changes never overlap and every midpoint still lands on its key.
            half = min(self.transition_s / 2, (times[i] - times[i - 1]) / 2, (times[i + 1] - times[i]) / 2)
            if half > 0:
                x = np.clip((t - times[i] + half) / (2 * half), 0.0, 1.0)
                step = x * x * (3.0 - 2.0 * x)
            else:
                step = (t >= times[i]).astype(np.float64)
            out += step[:, None] * (values[i] - values[i - 1])
        return out.astype(np.float32)

    def inline(self) -> str:
        return " ".join(k.inline() for k in self.keys)

    def to_dict(self) -> dict:
        return {"transition_s": self.transition_s,
                "keys": [{"time_s": k.time_s, "emotion": dict(k.weights) if len(k.weights) > 1 else k.emotion,
                          "intensity": k.intensity} for k in self.keys]}

    @classmethod
    def from_dict(cls, doc: object, transition_s: float | None = None) -> EmotionTimeline:
        """From to_dict()'s form, or a bare list of keys. `transition_s` overrides the file's."""
        if isinstance(doc, list):
            doc = {"keys": doc}
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise TimelineError('an emotion track is {"keys": [...]} or a list of keys')
        keys = []
        for i, item in enumerate(doc["keys"], 1):
            if not isinstance(item, dict) or set(item) != set(CSV_HEADER):
                raise TimelineError(f"emotion key {i}: expected the fields {', '.join(CSV_HEADER)}, "
                                    f"got {item!r}")
            try:
                keys.append(EmotionKey(item["time_s"], item["emotion"], item["intensity"]))
            except TimelineError as exc:
                raise _key_error(i, f"at {item['time_s']!r} s", exc) from None
        if transition_s is None:
            transition_s = doc.get("transition_s", DEFAULT_TRANSITION_S)
        return cls(tuple(keys), transition_s)


def parse_blend(text: str) -> Mapping[str, float]:
    """"happy" or "0.6happy+0.4surprise" -> {name: weight}."""
    parts = [p.strip() for p in text.strip().lower().split("+")]
    blend: dict[str, float] = {}
    for part in parts:
        m = _BLEND_PART.match(part)
        if m is None or (len(parts) > 1 and m["weight"] is None):
            raise TimelineError(f"{text!r} is not an emotion or a blend like 0.6happy+0.4surprise")
        blend[m["name"]] = blend.get(m["name"], 0.0) + float(m["weight"] or 1.0)
    return blend


def _number_text(what: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise TimelineError(f"{what} must be a number, got {text!r}") from None


def parse_key(text: str) -> EmotionKey:
    """One key of the inline form: EMOTION:INTENSITY@SECONDS."""
    m = _KEY_TEXT.match(text.strip())
    if m is None:
        raise TimelineError("expected EMOTION:INTENSITY@SECONDS, e.g. happy:0.8@1.5")
    return EmotionKey(_number_text("time", m["time"]), parse_blend(m["emotion"]),
                      _number_text("intensity", m["intensity"]))


def parse_inline(text: str, transition_s: float = DEFAULT_TRANSITION_S) -> EmotionTimeline:
    """The inline form "neutral:0.3@0 happy:0.8@1.5 ..." -> EmotionTimeline."""
    keys = []
    for i, token in enumerate(text.split(), 1):
        try:
            keys.append(parse_key(token))
        except TimelineError as exc:
            raise _key_error(i, repr(token), exc) from None
    return EmotionTimeline(tuple(keys), transition_s)


def looks_inline(text: str) -> bool:
    """True for text meant as keys (it has '@'), rather than one emotion's name."""
    return "@" in text


def _check_track_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TRACK_SUFFIXES:
        raise TimelineError(f"emotion track {path.name}: use a .json or .csv file")
    return suffix


def read_track(path: str | Path, transition_s: float | None = None) -> EmotionTimeline:
    """An emotion track file (JSON or CSV, see the module text); errors name the file and key."""
    path = Path(path)
    suffix = _check_track_suffix(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TimelineError(f"emotion track {path}: {exc.strerror or exc}") from None
    try:
        if suffix == ".json":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                raise TimelineError(f"not valid JSON ({exc})") from None
            return EmotionTimeline.from_dict(doc, transition_s)
        rows = list(csv.reader(io.StringIO(text)))
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows or tuple(c.strip().lower() for c in rows[0]) != CSV_HEADER:
            raise TimelineError(f"the first line must be the header {','.join(CSV_HEADER)}")
        keys = []
        for i, row in enumerate(rows[1:], 1):
            try:
                if len(row) != 3:
                    raise TimelineError(f"expected 3 columns, got {len(row)}")
                keys.append(EmotionKey(_number_text("time", row[0]), parse_blend(row[1]),
                                       _number_text("intensity", row[2])))
            except TimelineError as exc:
                raise _key_error(i, f"line {i + 1}", exc) from None
        return EmotionTimeline(tuple(keys), DEFAULT_TRANSITION_S if transition_s is None else transition_s)
    except TimelineError as exc:
        raise TimelineError(f"emotion track {path.name}: {exc}") from None


def write_track(timeline: EmotionTimeline, path: str | Path) -> Path:
    """Write the timeline as a JSON or CSV track file (by extension), atomically."""
    path = Path(path)
    suffix = _check_track_suffix(path)
    with atomic_write(path, newline="" if suffix == ".csv" else None) as f:
        if suffix == ".json":
            json.dump(timeline.to_dict(), f, indent=1)
            f.write("\n")
        else:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(CSV_HEADER)
            out.writerows((_num(k.time_s), k.emotion, _num(k.intensity)) for k in timeline.keys)
    return path
