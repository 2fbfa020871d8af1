"""Emotion keys on real speech: where transitions land, whether they pop, whether the lips care,
whether blends lie between their parts, and what "Read from voice" is worth on held-out voices.

    PYTHONPATH=. python bench/emotion_timeline_study.py [--clips-per-source 10] [--read-clips 0] [--json out.json]

Clips: the held-out RAVDESS actors and EmoDB speakers (the training split's rule, applied to the
file names in ../shared/data, so they are the speakers neither checkpoint trained on), plus
espeak-ng speech. When a corpus (../corpus/manifest.jsonl) exists its held-out clips are used
instead and also give the teacher's curves and phone timings for the lip metrics.

Per clip, with blinks off at 60 fps (the network's emotion input is what changes, nothing else):
- transition midpoint: for the change from key k-1 to key k, the emotion-region progress
  p(t) = <y(t) - y[k-1](t), y[k](t) - y[k-1](t)> / |y[k](t) - y[k-1](t)|^2 over the emotion-region
  channels, y[j] the clip generated with key j's emotion held constant; the midpoint is where p
  crosses 1/2 (between frames, linearly), compared to the key's time;
- pop: the largest frame-to-frame change of any emotion-region channel within +-transition of a
  key, against the 99.9th percentile of the largest frame-to-frame lip-channel change per frame of
  the same clip (at the default 24 fps);
- lips: lip metrics of the keyed clip against the constant-emotion result, frame by frame the run
  of the key in effect there (spliced at the keys, so only the easing differs): the lip opening's
  mean and motion, mean jawOpen, closure on /p b m/ (where phone timings exist), and with a corpus
  the lip error and jaw correlation against the teacher; apart, the motion of all mouth channels
  (smile and frown included, which an emotion change moves on purpose);
- blend: 0.5 happy + 0.5 sad against pure happy and pure sad at the same intensity, every frame
  and emotion-region channel.
"Read from voice" (pipeline.read_emotion, default options) on every held-out RAVDESS/EmoDB clip:
accuracy of the dominant key (the one covering most of the clip) against the clip's label, and
keys per clip, for the research and the default checkpoint.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from talkface_core.audio import SAMPLE_RATE, load_audio
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES, EMOTION_REGION_NAMES, LIP_NAMES, indices
from talkface_core.emotion_timeline import EmotionKey, EmotionTimeline
from talkface_core.pipeline import generate, read_emotion

REPO = Path(__file__).resolve().parents[1]

SHARED = REPO.parent / "shared" / "data"
CORPUS = REPO.parent / "corpus"
RESEARCH = REPO / "talkface_core" / "weights" / "research" / "talkface_research_nc.safetensors"
EMO, LIP = indices(EMOTION_REGION_NAMES), indices(LIP_NAMES)
JAW = ARKIT_INDEX["jawOpen"]
FPS, POP_FPS, TRANSITION = 60.0, 24.0, 0.3
SEARCH_S = 0.5        # the midpoint is looked for within this far of its key


# ---- measures (tests/core/test_emotion_generation.py uses them too) ----

def progress(y: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Per frame, how far the emotion region of `y` has gone from `before` to `after` (0 .. 1)."""
    d, full = (y - before)[:, EMO], (after - before)[:, EMO]
    return (d * full).sum(1) / np.maximum((full * full).sum(1), 1e-12)


def midpoint(p: np.ndarray, fps: float, key_s: float, search_s: float = SEARCH_S) -> float:
    """Time where progress p crosses 1/2 nearest to key_s (within search_s), linearly between
    frames; NaN when it does not cross there."""
    t = np.arange(len(p)) / fps
    inside = np.flatnonzero(np.abs(t - key_s) <= search_s)
    best = np.nan
    for i in inside[:-1]:
        a, b = p[i] - 0.5, p[i + 1] - 0.5
        if a == 0 or a * b < 0:
            at = t[i] + (0 if a == 0 else a / (a - b) / fps)
            if np.isnan(best) or abs(at - key_s) < abs(best - key_s):
                best = at
    return float(best)


def largest_emotion_step(y: np.ndarray, fps: float, keys_s: list[float], around_s: float) -> float:
    """Largest frame-to-frame change of any emotion-region channel within around_s of a key."""
    steps = np.abs(np.diff(y[:, EMO], axis=0)).max(1)
    mid = (np.arange(len(steps)) + 0.5) / fps
    near = np.zeros(len(steps), bool)
    for k in keys_s:
        near |= np.abs(mid - k) <= around_s
    return float(steps[near].max()) if near.any() else 0.0


def lip_step_p999(y: np.ndarray) -> float:
    """99.9th percentile over frames of the largest lip-channel frame-to-frame change."""
    return float(np.quantile(np.abs(np.diff(y[:, LIP], axis=0)).max(1), 0.999))


def blend_outside(blend: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """How far (weight units) the emotion region of `blend` lies outside [min(a, b), max(a, b)]
    at its worst frame and channel (0 = always between)."""
    lo, hi = np.minimum(a, b)[:, EMO], np.maximum(a, b)[:, EMO]
    x = blend[:, EMO]
    return float(np.maximum(np.maximum(lo - x, x - hi), 0).max())


def lip_metrics(y: np.ndarray, bilabial: np.ndarray | None, target: np.ndarray | None) -> dict[str, float]:
    """Lip metrics of a clip: the articulation ones (the lip opening's mean and frame-to-frame
    motion, mean jawOpen, closure on /p b m/; with a teacher, its lip error and jaw correlation)
    and, apart, `mouth_motion`, the mean largest step of any mouth channel, smile and frown
    included, which an emotion change moves on purpose."""
    from talkface_core.training.lip_gap import CLOSED_GAP, lip_gap   # the closure metric's own

    gap = lip_gap(y)
    m = {"gap_mean": float(gap.mean()), "gap_motion": float(np.abs(np.diff(gap)).mean()),
         "jaw_mean": float(y[:, JAW].mean()),
         "mouth_motion": float(np.abs(np.diff(y[:, LIP], axis=0)).max(1).mean())}
    if bilabial is not None:
        edges = np.diff(np.concatenate([[0], bilabial.astype(np.int8), [0]]))
        runs = zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
        m["closure_hit"] = float(np.mean([gap[max(s - 1, 0):e + 1].min() < CLOSED_GAP for s, e in runs]))
    if target is not None:
        m["lip_max_err"] = float(np.abs(y - target)[:, LIP].max(1).mean())
        jp, jt = y[:, JAW], target[:, JAW]
        m["jaw_corr"] = float(np.corrcoef(jp, jt)[0, 1]) if jp.std() > 1e-6 and jt.std() > 1e-6 else 0.0
    return m


def keyed_lip_ratios(keyed: np.ndarray, constants: list[np.ndarray], timeline: EmotionTimeline, fps: float,
                     bilabial: np.ndarray | None, target: np.ndarray | None) -> dict[str, float]:
    """Relative difference (keyed / constant - 1) of each lip metric over the whole clip, the
    constant-emotion result being, frame by frame, the run that holds the key in effect there
    (spliced at the keys: a cut from one to the next, so only the easing differs)."""
    t = np.arange(len(keyed)) / fps
    active = np.searchsorted([k.time_s for k in timeline.keys], t, side="right") - 1
    spliced = np.stack(constants)[active, np.arange(len(keyed))]
    ours, ref = (lip_metrics(y, bilabial, target) for y in (keyed, spliced))
    return {n: float(ours[n] / ref[n] - 1) for n in ours if n in ref and abs(ref[n]) > 1e-9}


def dominant_key(timeline: EmotionTimeline, duration_s: float) -> str:
    """The emotion of the key that covers most of the clip (a blend counts as its largest part)."""
    starts = [k.time_s for k in timeline.keys]
    spans = np.diff([*starts, max(duration_s, starts[-1])])
    return timeline.keys[int(np.argmax(spans))].dominant


# ---- clips ----

def _heldout(entries: list[dict]) -> set[tuple[str, str]]:
    from talkface_core.training.dataset import heldout_sets

    return heldout_sets(entries)[0]


def shared_heldout() -> list[dict]:
    """Held-out RAVDESS actors and EmoDB speakers from ../shared/data with their labels (the
    corpus's mapping: calm and boredom are neutral) and, for EmoDB, its phone timings."""
    from talkface_core.data.emotion import EMODB_EMOTIONS, RAVDESS_EMOTIONS
    from talkface_core.data.sources import emodb, ravdess

    clips = []
    for job in ravdess.jobs(SHARED):
        _, _, emo, _, statement, _, actor = Path(job["path"]).stem.split("-")
        clips.append({"id": job["id"], "source": "ravdess", "path": job["path"], "speaker": f"ravdess_{actor}",
                      "sentence": f"ravdess_s{statement}", "emotion": RAVDESS_EMOTIONS[emo][0]})
    for job in emodb.jobs(SHARED):
        stem = Path(job["path"]).stem
        clips.append({"id": job["id"], "source": "emodb", "path": job["path"], "speaker": f"emodb_{stem[:2]}",
                      "sentence": f"emodb_{stem[2:5]}", "emotion": EMODB_EMOTIONS[stem[5]][0],
                      "phones": (job["label"], "sampa_de")})
    held = _heldout(clips)
    return [c for c in clips if (c["source"], c["speaker"]) in held]


def corpus_heldout() -> list[dict]:
    from talkface_core.training.dataset import read_manifest, split_entries

    _, test = split_entries(read_manifest(CORPUS))
    return [{**e, "path": str(CORPUS / e["wav"]), "npz": str(CORPUS / e["npz"])} for e in test]


def espeak_clips(folder: Path) -> list[dict]:
    from talkface_core.data.espeak import synth_fresh

    texts = ["Bob bought a map, then we watched the blue moon rise over the papers.",
             "Maybe the people in the boat will bring more bread and apples for the meeting.",
             "Please remember to buy some milk before the market closes tomorrow morning."]
    out = []
    import soundfile as sf
    for i, text in enumerate(texts):
        audio, rate, phones = synth_fresh(text)
        path = folder / f"espeak_{i}.wav"
        sf.write(path, audio, rate)
        out.append({"id": path.stem, "source": "espeak", "path": str(path), "emotion": "neutral",
                    "phone_list": (phones, "espeak")})
    return out


def _phones_and_target(clip: dict, n: int, fps: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    from talkface_core.data.visemes import bilabial_mask

    target = None
    phones = None
    if "npz" in clip:
        from talkface_core.animation import Animation
        with np.load(clip["npz"], allow_pickle=False) as z:
            weights, src_fps = z["weights"], float(z["fps"])
            phones = ([(float(a), float(b), str(p)) for a, b, p in z["phones"]], str(z["phone_set"]))
        target = Animation(ARKIT_NAMES, src_fps, weights).resample(fps).weights[:n]
        if len(target) < n:
            target = np.concatenate([target, np.repeat(target[-1:], n - len(target), 0)])
    elif "phones" in clip:
        from talkface_core.data.sources.emodb import read_lablaut
        phones = (read_lablaut(Path(clip["phones"][0])), clip["phones"][1])
    elif "phone_list" in clip:
        phones = clip["phone_list"]
    bil = bilabial_mask(phones[0], n, fps, phones[1]) if phones else None
    return (bil if bil is not None and bil.any() else None), target


# ---- the study ----

def study_timeline(samples: np.ndarray, ckpt: str | None) -> tuple[EmotionTimeline, dict]:
    """The keyed, constant and blend runs of one clip."""
    d = len(samples) / SAMPLE_RATE
    timeline = EmotionTimeline((EmotionKey(0.0, "neutral", 0.3), EmotionKey(round(d * 0.25, 2), "happy", 0.8),
                                EmotionKey(round(d * 0.5, 2), {"happy": 0.6, "surprise": 0.4}, 0.6),
                                EmotionKey(round(d * 0.75, 2), "sad", 0.7)), TRANSITION)
    run = lambda emotion: generate(samples, emotion=emotion, fps=FPS, blinks=False,  # noqa: E731
                                   checkpoint=ckpt, device="cpu")
    keyed = run(timeline)
    constants = [run(EmotionTimeline((EmotionKey(0.0, k.weights, k.intensity),))) for k in timeline.keys]
    blend = {e: run(EmotionTimeline.constant(e, 0.8)).weights
             for e in ("happy", "sad")}
    blend["blend"] = run(EmotionTimeline.constant({"happy": 0.5, "sad": 0.5}, 0.8)).weights
    return timeline, {"keyed": keyed, "constants": constants, "blend": blend}


def measure_clip(clip: dict, ckpt: str | None) -> dict:
    samples = load_audio(clip["path"])
    timeline, runs = study_timeline(samples, ckpt)
    keyed, constants = runs["keyed"], runs["constants"]
    y, ys = keyed.weights, [c.weights for c in constants]
    times = [k.time_s for k in timeline.keys]
    errors = [midpoint(progress(y, ys[k - 1], ys[k]), FPS, times[k]) - times[k] for k in range(1, len(times))]
    slow, slow_c = keyed.resample(POP_FPS).weights, constants[0].resample(POP_FPS).weights
    bil, target = _phones_and_target(clip, len(y), FPS)
    return {"id": clip["id"], "source": clip["source"], "seconds": len(samples) / SAMPLE_RATE,
            "midpoint_errors_s": errors,
            "pop_emotion_step": largest_emotion_step(slow, POP_FPS, times[1:], TRANSITION),
            "pop_lip_p999": lip_step_p999(slow_c),
            "lip_ratios": keyed_lip_ratios(y, ys, timeline, FPS, bil, target),
            "blend_outside": blend_outside(runs["blend"]["blend"], runs["blend"]["happy"], runs["blend"]["sad"])}


def read_accuracy(clips: list[dict], ckpt: str | None) -> dict:
    rows = []
    for clip in clips:
        samples = load_audio(clip["path"])
        timeline = read_emotion(samples, checkpoint=ckpt, device="cpu")
        rows.append({"source": clip["source"], "label": clip["emotion"],
                     "dominant": dominant_key(timeline, len(samples) / SAMPLE_RATE),
                     "keys": len(timeline.keys)})
    out = {}
    for source in sorted({r["source"] for r in rows}) + ["all"]:
        sel = [r for r in rows if source in ("all", r["source"])]
        labels = [r["label"] for r in sel]
        out[source] = {"clips": len(sel), "accuracy": float(np.mean([r["dominant"] == r["label"] for r in sel])),
                       "keys_mean": float(np.mean([r["keys"] for r in sel])),
                       "keys_max": int(max(r["keys"] for r in sel)),
                       "majority_share": float(max(labels.count(e) for e in set(labels)) / len(labels)),
                       "predicted": {e: sum(r["dominant"] == e for r in sel)
                                     for e in sorted({r["dominant"] for r in sel})}}
    return out


def _summary(rows: list[dict]) -> dict:
    errs = np.abs(np.concatenate([r["midpoint_errors_s"] for r in rows]))
    ratios = {}
    for r in rows:
        for name, v in r["lip_ratios"].items():
            ratios.setdefault(name, []).append(v)
    pop = [r["pop_emotion_step"] / r["pop_lip_p999"] for r in rows]
    return {"clips": len(rows), "transitions": int(len(errs)),
            "midpoint_abs_err_s": {"mean": float(np.nanmean(errs)), "max": float(np.nanmax(errs)),
                                   "missing": int(np.isnan(errs).sum())},
            "pop_ratio_to_lip_p999": {"mean": float(np.mean(pop)), "max": float(np.max(pop))},
            # Signed: an error that grows is > 0; a closure rate or correlation that drops is < 0.
            "lip_ratio": {n: {"mean": float(np.mean(v)), "min": float(np.min(v)), "max": float(np.max(v)),
                              "abs_mean": float(np.mean(np.abs(v))), "clips": len(v)} for n, v in ratios.items()},
            "blend_outside_max": float(max(r["blend_outside"] for r in rows))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips-per-source", type=int, default=10)
    parser.add_argument("--read-clips", type=int, default=0, help="per source; 0 = all held-out clips")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--tmp", type=Path, default=Path("/tmp/emotion_timeline_study"))
    parser.add_argument("--parts", nargs="+", choices=("timeline", "read"), default=["timeline", "read"])
    args = parser.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    corpus = (CORPUS / "manifest.jsonl").is_file()
    pool = corpus_heldout() if corpus else shared_heldout()
    by_source: dict[str, list[dict]] = {}
    for c in pool:
        by_source.setdefault(c["source"], []).append(c)
    timeline_clips = espeak_clips(args.tmp)
    for _, clips in sorted(by_source.items()):
        pick = rng.choice(len(clips), min(args.clips_per_source, len(clips)), replace=False)
        timeline_clips += [clips[i] for i in sorted(pick)]
    t0 = time.perf_counter()
    results: dict = {"clip_source": "corpus held-out" if corpus else "shared/data held-out speakers + espeak-ng"}
    for name, ckpt in (("research", str(RESEARCH)), ("default", None)) if "timeline" in args.parts else ():
        rows = [measure_clip(c, ckpt) for c in timeline_clips]
        results[f"timeline_{name}"] = {"summary": _summary(rows),
                                       "by_source": {s: _summary([r for r in rows if r["source"] == s])
                                                     for s in sorted({r["source"] for r in rows})}}
        print(name, json.dumps(results[f"timeline_{name}"]["summary"], indent=1), flush=True)
    read_pool = [c for c in pool if c["source"] in ("ravdess", "emodb")]
    if args.read_clips:
        read_pool = [c for s in ("ravdess", "emodb") for c in [x for x in read_pool if x["source"] == s][:args.read_clips]]
    for name, ckpt in (("research", str(RESEARCH)), ("default", None)) if "read" in args.parts else ():
        results[f"read_{name}"] = read_accuracy(read_pool, ckpt)
        print("read", name, json.dumps(results[f"read_{name}"], indent=1), flush=True)
    results["seconds"] = time.perf_counter() - t0
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
