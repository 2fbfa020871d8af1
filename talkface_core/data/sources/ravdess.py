"""RAVDESS speech: 24 actors x 2 statements x emotions/intensities, force-aligned with pocketsphinx."""
from __future__ import annotations

from pathlib import Path

from ...audio import load_audio
from ..align import align
from ..emotion import RAVDESS_EMOTIONS, RAVDESS_INTENSITY
from . import Rendered
from .licenses import license_fields

STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}


def jobs(data_dir: Path) -> list[dict]:
    return [{"id": f"ravdess_{p.stem}", "source": "ravdess", "path": str(p)}
            for p in sorted((data_dir / "ravdess").glob("03-01-*.flac"))]


def render(job: dict) -> Rendered:
    _, _, emo_code, int_code, statement, repetition, actor = Path(job["path"]).stem.split("-")
    emotion, override = RAVDESS_EMOTIONS[emo_code]
    audio = load_audio(job["path"])
    text = STATEMENTS[statement]
    meta = {"emotion": emotion, "intensity": override if override is not None else RAVDESS_INTENSITY[int_code],
            "speaker": f"ravdess_{actor}", "style": int(actor) - 1, "text": text,
            "sentence": f"ravdess_s{statement}", "source_emotion": emo_code, "repetition": repetition,
            **license_fields("ravdess")}
    return Rendered(audio, align(audio, text), "arpabet", meta)
