"""Metrics of a checkpoint on held-out clips, next to two baselines measured in the same run.

Lip metrics (on jaw/mouth/tongue shapes, the LIP_NAMES):
  lip_max_err     mean over frames of the largest absolute lip-shape error (the LVE idea)
  closure_hit     share of bilabial phones (/p b m/) during which the lips meet (lip gap < 0.08)
  jaw_corr        Pearson correlation of jawOpen with the teacher, per clip, averaged
Other:
  emo_max_err     the same as lip_max_err on brows/eyes/cheeks/nose (the EVE idea)
  jitter          mean |second difference| of all weights per frame (teacher's own value alongside)
  auto_acc        clip-level accuracy of the emotion branch ("auto"); baselines have none
  happy-sad, ...  emotion_contrast on the first clips of each group; monotone: share of those
                  clips on which intensity 0 -> 1 moves every emotion away from neutral steadily
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..blendshapes import ARKIT_INDEX, EMOTION_REGION_NAMES, LIP_NAMES, indices
from ..emotions import EMOTIONS, one_hot
from .baselines import jaw_flap, mean_pose
from ..model.checkpoint import load_checkpoint
from .dataset import Example, load_example, read_manifest, split_entries, with_speech
from .lip_gap import CLOSED_GAP, lip_gap
from ..model.network import TalkNet
from .speech_cache import heldout_features
from ..model.speech_encoders import spec_for

LIP = indices(LIP_NAMES)
EMO = indices(EMOTION_REGION_NAMES)
JAW = ARKIT_INDEX["jawOpen"]
LIP_METRICS = ("lip_max_err", "closure_hit", "jaw_corr")
LOWER_IS_BETTER = {"lip_max_err", "emo_max_err"}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def clip_metrics(pred: np.ndarray, target: np.ndarray, bilabial: np.ndarray) -> dict[str, float]:
    err = np.abs(pred - target)
    gap = lip_gap(pred)
    runs = _runs(bilabial)
    hits = [gap[max(a - 1, 0):b + 1].min() < CLOSED_GAP for a, b in runs]
    jaw_p, jaw_t = pred[:, JAW], target[:, JAW]
    corr = float(np.corrcoef(jaw_p, jaw_t)[0, 1]) if jaw_p.std() > 1e-6 and jaw_t.std() > 1e-6 else 0.0
    return {"lip_max_err": float(err[:, LIP].max(1).mean()),
            "emo_max_err": float(err[:, EMO].max(1).mean()),
            "closure_hit": float(np.mean(hits)) if hits else float("nan"),
            "closure_n": len(hits),
            "jaw_corr": corr,
            "jitter": float(np.abs(np.diff(pred, 2, axis=0)).mean()) if len(pred) > 2 else 0.0}


def predict(model: TalkNet, ex: Example, *, auto: bool = False) -> np.ndarray:
    """The checkpoint on one clip with its labelled emotion/intensity and the generic style."""
    emotion = None if auto else torch.eye(len(EMOTIONS))[ex.emotion][None]
    with torch.inference_mode():
        y = model(ex.mel[None], emotion, torch.zeros(1, dtype=torch.long), torch.tensor([ex.intensity]))
    return y[0].numpy()


def auto_emotion(model: TalkNet, ex: Example) -> int:
    with torch.inference_mode():
        return int(model.emotion_logits(ex.mel[None])[0].mean(0).argmax())


def _average(rows: list[dict[str, float]]) -> dict[str, float]:
    out = {}
    for key in rows[0]:
        if key == "closure_n":
            out[key] = int(sum(r[key] for r in rows))
            continue
        vals = [r[key] for r in rows if not np.isnan(r[key])]
        if key == "closure_hit":  # pooled over phones, not averaged over clips
            n = [r["closure_n"] for r in rows if not np.isnan(r[key])]
            out[key] = float(np.dot(vals, n) / max(sum(n), 1))
        else:
            out[key] = float(np.mean(vals)) if vals else float("nan")
    return out


def group_of(ex: Example) -> str:
    return {"tts": "synthetic (held-out voices+sentences)",
            "tts_de": "synthetic German (held-out voices+sentences)", "ravdess": "RAVDESS (held-out actors)",
            "emodb": "EmoDB (held-out speakers)"}.get(ex.source, ex.source)


CONTRASTS = ("happy-sad", "happy-neutral", "sad-neutral", "monotone")


def _sample(entries: list[dict], n: int, rng: np.random.Generator) -> list[dict]:
    if len(entries) <= n:
        return entries
    return [entries[i] for i in sorted(rng.choice(len(entries), n, replace=False))]


def heldout_clips(entries: list[dict], max_clips: int = 0, per_source: int = 0, seed: int = 0
                  ) -> tuple[list[dict], list[dict]]:
    """(training split, the held-out clips evaluate() scores)."""
    train, test = split_entries(entries)
    rng = np.random.default_rng(seed)
    if per_source:
        sources = sorted({e["source"] for e in test})
        keep = {e["id"] for s in sources
                for e in _sample([e for e in test if e["source"] == s], per_source, rng)}
        test = [e for e in test if e["id"] in keep]
    if max_clips:
        test = _sample(test, max_clips, rng)
    return train, test


def evaluate(data: Path, checkpoints: list[Path], *, max_clips: int = 0, per_source: int = 0,
             seed: int = 0, contrast_clips: int = 2, speech_encoder: str | None = None,
             show_progress: bool = True) -> dict:
    """{group: {method: metrics}} on the held-out split of the corpus at `data` (or a seeded
    sample: max_clips in all, per_source from each source). Checkpoints that read a speech
    encoder get its stream of each clip encoded alone, as generate() does (speech_encoder: the
    model folder of a checkpoint trained with a local encoder)."""
    train, test = heldout_clips(read_manifest(data), max_clips, per_source, seed)
    if not test:
        raise ValueError(f"no held-out clips in {data}")
    mean, jaw_peak = _training_pose(data, train, seed)
    models = {Path(c).stem: load_checkpoint(c)[0] for c in checkpoints}
    streams = {m.cfg.speech_encoder for m in models.values() if m.cfg.n_speech}
    ids = [e["id"] for e in test]
    speech = {name: heldout_features(data, ids, spec_for(name, speech_encoder), show_progress)
              for name in sorted(streams)}
    rows: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for entry in tqdm(test, desc="evaluating", disable=not show_progress):
        ex = load_example(data, entry, keep_audio=True)
        target, bil = ex.target.numpy(), ex.bilabial.numpy()
        group = group_of(ex)
        rows[group]["teacher"].append(clip_metrics(target, target, bil))
        rows[group]["mean pose"].append(clip_metrics(mean_pose(mean, len(target)), target, bil))
        rows[group]["jaw flap"].append(clip_metrics(jaw_flap(ex.samples, mean, jaw_peak)[:len(target)],
                                                    target, bil))
        for name, model in models.items():
            seen = len(rows[group][name])
            stream = speech.get(model.cfg.speech_encoder)
            inputs = replace(ex, mel=with_speech(ex.mel, stream[ex.id])) if stream else ex
            m = clip_metrics(predict(model, inputs), target, bil)
            m["auto_acc"] = float(auto_emotion(model, inputs) == ex.emotion)
            m |= (emotion_contrast(model, inputs) if seen < contrast_clips
                  else dict.fromkeys(CONTRASTS, np.nan))
            rows[group][name].append(m)
    return {g: {k: _average(v) | {"clips": len(v)} for k, v in methods.items()}
            for g, methods in sorted(rows.items())}


def _training_pose(data: Path, train: list[dict], seed: int, sample: int = 200) -> tuple[np.ndarray, float]:
    """Mean weights and the 95th-percentile jawOpen of (a sample of) the training clips."""
    rng = np.random.default_rng(seed)
    pick = [train[i] for i in rng.choice(len(train), min(sample, len(train)), replace=False)]
    w = np.concatenate([np.load(data / "clips" / f"{e['id']}.npz")["weights"] for e in pick])
    return w.mean(0), float(np.percentile(w[:, JAW], 95))


def emotion_contrast(model: TalkNet, ex: Example) -> dict[str, float]:
    """On one clip: mean |difference| of emotion-region weights happy vs sad vs neutral at
    intensity 1, and whether the emotion regions move monotonically away from neutral as
    intensity grows 0 -> 1 (checked for every emotion at 11 steps)."""
    def run(e: str, level: float) -> np.ndarray:
        with torch.inference_mode():
            return model(ex.mel[None], torch.from_numpy(one_hot(e))[None], torch.zeros(1, dtype=torch.long),
                         torch.tensor([level]))[0].numpy()[:, EMO]
    out = {f"{a}-{b}": float(np.abs(run(a, 1.0) - run(b, 1.0)).mean())
           for a, b in (("happy", "sad"), ("happy", "neutral"), ("sad", "neutral"))}
    base = run("neutral", 0.0)
    steps = np.linspace(0, 1, 11)
    monotone = True
    for e in EMOTIONS[1:]:
        dist = [np.abs(run(e, s) - base).mean() for s in steps]
        monotone &= bool(np.all(np.diff(dist) >= -1e-6))
    out["monotone"] = float(monotone)
    return out


def format_table(results: dict) -> str:
    cols = ("lip_max_err", "closure_hit", "jaw_corr", "emo_max_err", "jitter", "auto_acc", *CONTRASTS,
            "clips")
    lines = []
    for group, methods in results.items():
        lines += [f"\n### {group}", "| method | " + " | ".join(cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for name, m in methods.items():
            cells = [("-" if c not in m or (isinstance(m[c], float) and np.isnan(m[c])) else
                      f"{m[c]:.4f}" if isinstance(m[c], float) else str(m[c])) for c in cols]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def beats_baselines(results: dict, name: str) -> dict[str, bool]:
    """Per group: does checkpoint `name` beat both baselines on every lip metric?"""
    out = {}
    for group, methods in results.items():
        ok = True
        for base in ("mean pose", "jaw flap"):
            for metric in LIP_METRICS:
                a, b = methods[name][metric], methods[base][metric]
                ok &= bool(a < b) if metric in LOWER_IS_BETTER else bool(a > b)
        out[group] = ok
    return out


def save_json(results: dict, path: Path) -> None:
    path.write_text(json.dumps(results, indent=1) + "\n")
