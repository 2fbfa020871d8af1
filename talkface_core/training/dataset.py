"""Corpus clips (DIR/manifest.jsonl + clips/<id>.wav/.npz) as training/evaluation examples at
the feature rate, plus the held-out split and the license filter.

Split: per source, the speakers with the lowest CRC32 of their name (20 %, at least one) are held
out entirely; sources with many sentences also hold out 20 % of sentences. A clip is "test" if its
speaker or its sentence is held out. The rule depends only on names, so it is the same for every
checkpoint, machine and corpus rebuild.
"""
from __future__ import annotations

import json
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from ..animation import Animation
from ..audio import SAMPLE_RATE
from ..blendshapes import ARKIT_NAMES
from ..emotions import EMOTIONS
from ..model.log_mel import FEATURE_RATE, utterance_features
from ..data.visemes import bilabial_mask

HELDOUT_FRACTION = 0.2
MIN_SENTENCES_FOR_SENTENCE_SPLIT = 20
_RESTRICTED = ("non-commercial", "noncommercial", "research")


def allows_any_use(entry: dict) -> bool:
    """True for clips whose license has no non-commercial/research-only condition. The corpus
    states it in `license_use`; older manifests only name the license, which is then read."""
    if "license_use" in entry:
        return entry["license_use"] == "any"
    text = str(entry["license"]).lower()
    return "nc" not in re.split(r"[^a-z0-9]+", text) and not any(m in text for m in _RESTRICTED)


def read_manifest(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "manifest.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"no manifest.jsonl in {data_dir}: is it a talkface corpus?")
    with path.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def heldout_sets(entries: list[dict]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """((source, speaker) held out, (source, sentence) held out)."""
    speakers, sentences = defaultdict(set), defaultdict(set)
    for e in entries:
        speakers[e["source"]].add(e["speaker"])
        sentences[e["source"]].add(e["sentence"])
    out_spk, out_sent = set(), set()
    for source, names in speakers.items():
        ranked = sorted(names, key=lambda n: (_crc(n), n))
        out_spk |= {(source, n) for n in ranked[:max(1, round(HELDOUT_FRACTION * len(ranked)))]}
    for source, names in sentences.items():
        if len(names) >= MIN_SENTENCES_FOR_SENTENCE_SPLIT:
            ranked = sorted(names, key=lambda n: (_crc(n), n))
            out_sent |= {(source, n) for n in ranked[:round(HELDOUT_FRACTION * len(ranked))]}
    return out_spk, out_sent


def split_entries(entries: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, test) by the held-out speaker/sentence rule."""
    out_spk, out_sent = heldout_sets(entries)
    test = [e for e in entries
            if (e["source"], e["speaker"]) in out_spk or (e["source"], e["sentence"]) in out_sent]
    test_ids = {e["id"] for e in test}
    return [e for e in entries if e["id"] not in test_ids], test


@dataclass
class Example:
    """One clip at the feature rate (50 fps)."""
    id: str
    mel: torch.Tensor            # (T, n_inputs) normalised log-mel [+ speech stream, with_speech]
    samples: np.ndarray | None   # 16 kHz audio, kept only for evaluation (the jaw-flap baseline)
    target: torch.Tensor         # (T, 52) teacher weights
    bilabial: torch.Tensor       # (T,) bool
    phones: np.ndarray
    emotion: int
    intensity: float
    style: int
    speaker: str
    sentence: str
    source: str
    license: str


def with_speech(mel: torch.Tensor, speech: np.ndarray) -> torch.Tensor:
    """Network input: log-mel (T, n_mels) followed by a speech-encoder stream, cut or held to T frames."""
    t = len(mel)
    x = np.asarray(speech[:t], dtype=np.float32)
    if len(x) < t:
        x = np.concatenate([x, np.repeat(x[-1:], t - len(x), 0)])
    return torch.cat([mel, torch.from_numpy(x)], 1)


def load_example(data_dir: Path, entry: dict, *, keep_audio: bool = False) -> Example:
    clip = Path(data_dir) / "clips" / entry["id"]
    samples, rate = sf.read(str(clip.with_suffix(".wav")), dtype="float32", always_2d=False)
    if rate != SAMPLE_RATE or samples.ndim != 1:
        raise ValueError(f"{clip}.wav must be 16 kHz mono, got {rate} Hz, shape {samples.shape}")
    with np.load(clip.with_suffix(".npz"), allow_pickle=False) as z:
        weights, phones = z["weights"], z["phones"]
        phone_set = str(z["phone_set"]) if "phone_set" in z.files else entry.get("phone_set", "arpabet")
        meta = {k: z[k].item() for k in ("emotion", "intensity", "style") if k in z.files}
    mel = torch.from_numpy(utterance_features(samples))
    t = mel.shape[0]
    target = Animation(ARKIT_NAMES, 60.0, weights).resample(FEATURE_RATE).weights
    if len(target) < t:  # teacher may stop a frame early: hold the last pose
        target = np.concatenate([target, np.repeat(target[-1:], t - len(target), 0)])
    get = lambda k: entry.get(k, meta.get(k))  # noqa: E731 - manifest first, npz as fallback
    return Example(
        id=entry["id"], mel=mel, samples=samples if keep_audio else None, target=torch.from_numpy(target[:t].copy()),
        bilabial=torch.from_numpy(bilabial_mask(
            [(float(p["start"]), float(p["end"]), str(p["phone"])) for p in phones], t, FEATURE_RATE,
            phone_set)), phones=phones,
        emotion=EMOTIONS.index(str(get("emotion"))), intensity=float(get("intensity")),
        style=int(get("style") or 0), speaker=str(entry["speaker"]), sentence=str(entry["sentence"]),
        source=str(entry["source"]), license=str(entry["license"]))
