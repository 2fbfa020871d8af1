"""A clip's emotion keys (frames from the clip's start, so they move with it) <-> the engine's
EmotionTimeline (seconds), at the scene's frame rate; and what the panel shows of them."""
from __future__ import annotations

from talkface_core.emotion_timeline import EmotionKey, EmotionTimeline, TimelineError

NO_BLEND = "NONE"


def key_weights(key) -> dict[str, float]:
    """A key's emotion, or its blend with a second emotion at weight `blend`."""
    if key.blend_with == NO_BLEND or key.blend_with == key.emotion or key.blend <= 0.0:
        return {key.emotion: 1.0}
    if key.blend >= 1.0:
        return {key.blend_with: 1.0}
    return {key.emotion: 1.0 - key.blend, key.blend_with: key.blend}


def key_label(key) -> str:
    weights = key_weights(key)
    if len(weights) == 1:
        return next(iter(weights))
    return " + ".join(f"{w:.0%} {e}" for e, w in weights.items())


def sorted_keys(clip) -> list:
    return sorted(clip.emotion_keys, key=lambda k: k.frame)


def clip_timeline(clip, fps: float) -> EmotionTimeline:
    """The clip's keys as seconds into its audio; ValueError naming the clip and the key's frame."""
    keys = sorted_keys(clip)
    if not keys:
        raise ValueError(f'Clip "{clip.name}": "Use emotion keys" is on but it has no keys: '
                         "add one (Add key at playhead, or Read from voice)")
    out = []
    for i, key in enumerate(keys):
        where = f'Clip "{clip.name}": emotion key at frame {clip.frame_start + key.frame}'
        if i and key.frame == keys[i - 1].frame:
            raise ValueError(f"{where}: another key is on the same frame")
        try:
            out.append(EmotionKey(key.frame / fps, key_weights(key), key.intensity))
        except TimelineError as exc:
            raise ValueError(f"{where}: {exc}") from None
    try:
        return EmotionTimeline(tuple(out), clip.emotion_transition)
    except TimelineError as exc:
        raise ValueError(f'Clip "{clip.name}": {exc}') from None


def set_keys(clip, timeline: EmotionTimeline, fps: float) -> None:
    """Replace the clip's keys by the timeline's (seconds -> frames from the clip's start); a
    blend of more than two emotions keeps its two largest parts."""
    clip.emotion_keys.clear()
    for key in timeline.keys:
        item = clip.emotion_keys.add()
        item.frame = max(0, round(key.time_s * fps))
        parts = sorted(key.weights.items(), key=lambda kv: -kv[1])[:2]
        item.emotion = parts[0][0]
        if len(parts) > 1:
            item.blend_with = parts[1][0]
            item.blend = parts[1][1] / (parts[0][1] + parts[1][1])
        item.intensity = key.intensity
    clip.emotion_transition = timeline.transition_s
    clip.emotion_key_index = 0


def summary(clip) -> str:
    """Where the face changes, for the clip's row: "neutral 1 > happy 37 > sad 80"."""
    return " > ".join(f"{key_label(k)} {clip.frame_start + k.frame}" for k in sorted_keys(clip))
