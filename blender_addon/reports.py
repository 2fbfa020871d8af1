"""The words of the operators' reports (no bpy): counts that agree with their nouns, and one line
per problem however many clips share it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence


def plural(count: int, noun: str) -> str:
    """'1 channel', '2 channels', '0 clips'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def listed(names: Sequence[str], limit: int = 8) -> str:
    """The first `limit` names, comma-separated, with ' ...' when there are more."""
    return ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")


def quoted_list(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def skipped_channels(skipped_by_clip: Mapping[str, Sequence[str]]) -> list[str]:
    """One line per distinct set of skipped channels, naming the clips it happened in (one
    target, so usually a single line for the whole generate)."""
    clips_by_set: dict[tuple[str, ...], list[str]] = {}
    for clip, skipped in skipped_by_clip.items():
        if skipped:
            clips_by_set.setdefault(tuple(skipped), []).append(clip)
    return [f"{plural(len(channels), 'channel')} with no shape key skipped "
            f"({'clip' if len(clips) == 1 else 'clips'} {quoted_list(clips)}): {listed(channels)}"
            for channels, clips in clips_by_set.items()]


def generated(applied: int, asked: int, target: str) -> str:
    """'Generated 1 clip on Head', or 'Generated 2 of 3 clips on Head' when some failed."""
    count = plural(applied, "clip") if applied == asked else f"{applied} of {plural(asked, 'clip')}"
    return f"Generated {count} on {target}"
