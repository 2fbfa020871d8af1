"""Which corpus clips a checkpoint trains on, loaded as examples (with degraded copies and the
speech stream), and the training-data summary a checkpoint records."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from ..model.log_mel import N_MELS, utterance_features
from ..model.speech_encoders import StreamSpec
from .dataset import Example, allows_any_use, load_example, read_manifest, split_entries, with_speech
from .speech_cache import copy_audio, copy_id, training_features


def load_examples(data: Path, entries: list[dict], copies: int, seed: int, show_progress: bool,
                  stream: StreamSpec | None = None) -> list[Example]:
    """Each clip, plus `copies` versions through recording conditions (noise, reverb, phone/laptop
    band, gain, sample-rate round trip): labels stay valid because timing is untouched. With a
    speech stream each input frame also carries that encoder's output (speech_cache)."""
    speech = None
    if stream is not None:
        speech = training_features(data, read_manifest(data), [e["id"] for e in entries], copies, seed,
                                   stream, show_progress)
    out = []
    for entry in tqdm(entries, desc="loading clips", disable=not show_progress, leave=False):
        ex = load_example(data, entry, keep_audio=copies > 0)
        samples, ex.samples = ex.samples, None
        clips = [ex] + [replace(ex, id=copy_id(ex.id, k), mel=torch.from_numpy(utterance_features(
            copy_audio(samples, seed, ex.id, k)))) for k in range(copies)]
        # pop: each clip's cached stream is released once it is part of its example
        out += clips if speech is None else [replace(c, mel=with_speech(c.mel, speech.pop(c.id)))
                                             for c in clips]
    return out


def speech_statistics(examples: list[Example]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-dimension mean and spread of the speech stream over all training frames, summed clip
    by clip in float64 (one concatenated copy of the stream would take gigabytes)."""
    count, total, total_sq = 0, torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    for ex in examples:
        x = ex.mel[:, N_MELS:].double()
        count, total, total_sq = count + len(x), total + x.sum(0), total_sq + (x * x).sum(0)
    mean = total / count
    spread = (total_sq / count - mean * mean).clamp_min(0).sqrt()
    return mean.float(), (spread + 1e-3).float()


def select_training(entries: list[dict], research: bool) -> list[dict]:
    train, _ = split_entries(entries)
    return [e for e in train if research or allows_any_use(e)]


def data_summary(entries: list[dict], research: bool) -> dict:
    licenses = sorted({e["license"] for e in entries})
    any_use = all(allows_any_use(e) for e in entries)
    return {"clips": len(entries),
            "hours": round(sum(float(e.get("duration", 0.0)) for e in entries) / 3600, 3),
            "sources": dict(Counter(e["source"] for e in entries)),
            "speakers": len({(e["source"], e["speaker"]) for e in entries}),
            "emotions": dict(Counter(e["emotion"] for e in entries)),
            "licenses": licenses, "research_data_included": research,
            "use": "any use (commercial included)" if any_use else
                   "NON-COMMERCIAL research use only (inherits CC BY-NC-SA 4.0 / research-only terms)"}
