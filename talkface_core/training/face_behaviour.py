"""How the delivered face behaves around speech, on held-out corpus voices: lips at rest in pauses,
left/right symmetry, an emotion that holds through pauses, and blinks that differ between clips.

Everything goes through generate(), so post-processing layers count. Corpus clips are single
sentences, so each test "take" joins three held-out clips of one speaker with PAUSE_S of silence
between them: that gives real pauses inside speech, with the phone timings to find them.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..audio import SAMPLE_RATE
from ..blendshapes import ARKIT_INDEX, EMOTION_REGION_NAMES, MIRROR_PAIRS
from ..data.visemes import segments
from ..emotions import EMOTIONS
from ..pipeline import generate
from .dataset import load_example, read_manifest, split_entries

FPS = 50.0
PAUSE_S = 0.8            # silence between the clips of a take
SETTLED_S = 0.3          # how long into a pause the lips must have met (issue 11's rule)
REST_GAP = 0.02          # jawOpen - mouthClose at or under this: the lips meet
INTENSITY = 0.8
_EPS = 0.01              # weight floor for the side ratio: shapes that barely move are not lopsided
_JAW, _CLOSE = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
_EMO = [ARKIT_INDEX[n] for n in EMOTION_REGION_NAMES if not n.startswith(("eyeBlink", "eyeLook"))]
_BLINK = ARKIT_INDEX["eyeBlinkLeft"]


def _speech_mask(phones: np.ndarray, phone_set: str, offset_s: float, n: int) -> np.ndarray:
    t = (np.arange(n) + 0.5) / FPS
    mask = np.zeros(n, dtype=bool)
    triples = [(float(p["start"]), float(p["end"]), str(p["phone"])) for p in phones]
    for start, end, cls in segments(triples, phone_set):
        if cls != "sil":
            mask |= (t >= start + offset_s) & (t < end + offset_s)
    return mask


def _takes(data: Path, per_source: int, seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(source, audio, speech mask at FPS): per source, up to per_source takes of three held-out
    clips of one speaker (one take per speaker, seeded choice)."""
    _, test = split_entries(read_manifest(data))
    by_speaker: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for entry in test:
        by_speaker[(entry["source"], entry["speaker"])].append(entry)
    rng = np.random.default_rng(seed)
    takes, per = [], defaultdict(int)
    for (source, _), entries in sorted(by_speaker.items()):   # one take per speaker
        if len(entries) < 3 or per[source] >= per_source:
            continue
        picked = [entries[k] for k in rng.permutation(len(entries))[:3]]
        gap = np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32)
        audio, starts = [], []
        for entry in picked:
            ex = load_example(data, entry, keep_audio=True)
            starts.append((sum(len(a) for a in audio) / SAMPLE_RATE, ex))
            audio += [ex.samples, gap]
        samples = np.concatenate(audio[:-1])
        n = int(round(len(samples) / SAMPLE_RATE * FPS))
        with np.load(data / "clips" / f"{picked[0]['id']}.npz") as z:
            phone_set = str(z["phone_set"]) if "phone_set" in z.files else "arpabet"
        mask = np.zeros(n, dtype=bool)
        for offset, ex in starts:
            mask |= _speech_mask(ex.phones, phone_set, offset, n)
        takes.append((source, samples, mask))
        per[source] += 1
    return takes


def _settled_pauses(speech: np.ndarray) -> np.ndarray:
    """Frames at least SETTLED_S into a pause that follows speech (inner pauses and the end)."""
    since = np.full(len(speech), -1.0)
    last = None
    for i, s in enumerate(speech):
        if s:
            last = i
        elif last is not None:
            since[i] = (i - last) / FPS
    return since >= SETTLED_S


def _inner_pauses(speech: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(speech)
    inner = np.zeros(len(speech), dtype=bool)
    if len(idx):
        inner[idx[0]:idx[-1]] = ~speech[idx[0]:idx[-1]]
    return inner & _settled_pauses(speech)


def _blink_onsets(w: np.ndarray) -> set[int]:
    closed = w[:, _BLINK] > 0.5
    return set(np.flatnonzero(closed[1:] & ~closed[:-1]).tolist())


def face_behaviour(data: Path, checkpoint: Path | None = None, *, per_source: int = 3, seed: int = 0,
                   show_progress: bool = True) -> dict:
    """Rest, symmetry, steadiness and blink figures of one checkpoint on held-out takes."""
    takes = _takes(Path(data), per_source, seed)
    if not takes:
        raise ValueError(f"no held-out takes of three clips in {data}")
    rest_gaps, steadiness, onsets, frames = [], defaultdict(list), [], 0
    side_sums = {e: np.zeros(len(ARKIT_INDEX)) for e in EMOTIONS}
    for source, samples, speech in tqdm(takes, desc="face behaviour", disable=not show_progress):
        runs = {e: generate(samples, emotion=e, intensity=INTENSITY, fps=FPS, device="cpu",
                            checkpoint=checkpoint).weights for e in EMOTIONS}
        n = min(len(speech), len(runs["neutral"]))
        speech = speech[:n]
        neutral = runs["neutral"][:n]
        rest_gaps.append((neutral[:, _JAW] - neutral[:, _CLOSE])[_settled_pauses(speech)])
        onsets.append(_blink_onsets(neutral))
        inner = _inner_pauses(speech)
        frames += n
        for emotion, w in runs.items():
            side_sums[emotion] += w[:n].sum(0)
            delta = np.abs(w[:n, _EMO] - neutral[:, _EMO]).mean(1)
            if emotion != "neutral" and inner.any() and speech.any():
                steadiness[emotion].append(float(delta[inner].mean() / max(delta[speech].mean(), 1e-6)))
    gaps = np.concatenate(rest_gaps) if rest_gaps else np.zeros(0)
    means = [s / frames for s in side_sums.values()]
    sides = {f"{a}/{b}": max(abs(float(np.log((m[ARKIT_INDEX[a]] + _EPS) / (m[ARKIT_INDEX[b]] + _EPS))))
                             for m in means)
             for a, b in MIRROR_PAIRS}
    shared = [len(a & b) / max(min(len(a), len(b)), 1) for i, a in enumerate(onsets)
              for b in onsets[i + 1:] if a and b]
    return {"takes": len(takes),
            "rest": {"frames": int(gaps.size), "share_met": float(np.mean(gaps <= REST_GAP)) if gaps.size else np.nan,
                     "mean_gap": float(gaps.mean()) if gaps.size else np.nan},
            "symmetry_abs_log_ratio": sides,
            "steadiness": {e: float(np.median(v)) for e, v in steadiness.items()},
            "blink_onsets_shared": float(np.mean(shared)) if shared else 0.0}


def format_behaviour(name: str, r: dict) -> str:
    worst = max(r["symmetry_abs_log_ratio"].items(), key=lambda kv: kv[1])
    steady = ", ".join(f"{e} {v:.2f}" for e, v in r["steadiness"].items())
    return (f"{name} ({r['takes']} held-out takes)\n"
            f"  rest: lips meet {SETTLED_S:g} s into pauses on {r['rest']['share_met']:.0%} of "
            f"{r['rest']['frames']} frames (mean jawOpen-mouthClose {r['rest']['mean_gap']:.3f}; target <= {REST_GAP})\n"
            f"  symmetry: worst |log(L/R)| {worst[1]:.3f} ({worst[0]}; target <= 0.1), "
            f"{sum(v <= 0.1 for v in r['symmetry_abs_log_ratio'].values())}/{len(MIRROR_PAIRS)} pairs within\n"
            f"  steadiness (emotion in pauses / while speaking; target 0.8-1.25): {steady}\n"
            f"  blink onsets shared between takes: {r['blink_onsets_shared']:.0%}")
