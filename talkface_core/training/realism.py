"""How alive a face is, against real faces: statistics of whole clips, not frame errors.

A folder of real talking clips (NAME.flac + NAME.npz with MediaPipe ARKit curves 'weights',
'fps', 'names', e.g. ../shared/data/talkvid) is the reference. Each face (the real one, the
teacher on the clips whose recognised words align, each checkpoint through generate(), all
neutral at intensity 0.5, at the clip's own frame rate) is summarised per clip, then averaged
over clips:

  moving      channels whose std exceeds MOVING_STD
  profile_r   Pearson r of the 52 per-channel stds (averaged over clips) with the real faces'
  clip_r      the same per clip, against that clip's real face, averaged (stricter)
  eye_look    mean std of the 8 eyeLook* channels
  brow        mean std of browInnerUp, browOuterUpLeft/Right
  blinks/min  rising crossings of BLINK_LEVEL by the mean of eyeBlinkLeft/Right
  jitter      per channel, mean |second difference| over frames, then averaged over clips; the
              table gives the largest ratio to the real faces' and the channels above them.
              Channels MediaPipe does not track (std under UNTRACKED_STD in every clip:
              cheekPuff, cheekSquint*, noseSneer*, tongueOut) have no real reference and are
              left out.

These are statistics for a whole corpus: nothing in talkface is tuned clip by clip on them.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..audio import load_audio
from ..blendshapes import ARKIT_NAMES, indices

MOVING_STD = 0.03
UNTRACKED_STD = 1e-3
BLINK_LEVEL = 0.5
EYE_LOOK = indices([n for n in ARKIT_NAMES if n.startswith("eyeLook")])
BROW_UP = indices(["browInnerUp", "browOuterUpLeft", "browOuterUpRight"])
BLINK = indices(["eyeBlinkLeft", "eyeBlinkRight"])
REAL = "real faces"


@dataclass(frozen=True)
class RealClip:
    name: str
    audio: Path
    fps: float
    weights: np.ndarray   # (frames, 52) in ARKIT_NAMES order


@dataclass(frozen=True)
class ClipStats:
    std: np.ndarray       # (52,)
    jitter: np.ndarray    # (52,) mean |second difference|
    blinks_per_min: float


def read_clips(folder: Path) -> list[RealClip]:
    """The folder's clips that have both the audio and the curves, in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"realism folder not found: {folder}")
    clips = []
    for npz in sorted(folder.glob("*.npz")):
        audio = npz.with_suffix(".flac")
        if not audio.is_file():
            continue
        z = np.load(npz, allow_pickle=False)
        names = [str(n) for n in z["names"]]
        missing = sorted(set(ARKIT_NAMES) - set(names))
        if missing:
            raise ValueError(f"{npz.name}: lacks ARKit channels {', '.join(missing[:4])}")
        weights = z["weights"][:, [names.index(n) for n in ARKIT_NAMES]].astype(np.float64)
        clips.append(RealClip(npz.stem, audio, float(z["fps"]), weights))
    if not clips:
        raise ValueError(f"{folder} holds no NAME.flac + NAME.npz clips")
    return clips


def blink_count(weights: np.ndarray) -> int:
    lid = weights[:, BLINK].mean(axis=1)
    return int(np.sum((lid[1:] >= BLINK_LEVEL) & (lid[:-1] < BLINK_LEVEL)))


def clip_stats(weights: np.ndarray, fps: float) -> ClipStats:
    weights = np.asarray(weights, np.float64)
    jitter = (np.abs(np.diff(weights, 2, axis=0)).mean(axis=0) if len(weights) > 2
              else np.zeros(weights.shape[1]))
    minutes = len(weights) / fps / 60.0
    return ClipStats(weights.std(axis=0), jitter, blink_count(weights) / minutes)


def _profile_r(std: np.ndarray, real: np.ndarray) -> float:
    if std.std() == 0 or real.std() == 0:
        return 0.0
    return float(np.corrcoef(std, real)[0, 1])


def summarise(stats: Sequence[ClipStats], real: Sequence[ClipStats]) -> dict:
    """The table row of one face: clip statistics averaged over clips, jitter against `real`."""
    std = np.array([s.std for s in stats])
    jitter = np.array([s.jitter for s in stats]).mean(axis=0)
    real_jitter = np.array([s.jitter for s in real]).mean(axis=0)
    tracked = np.array([s.std for s in real]).max(axis=0) > UNTRACKED_STD
    ratio = np.where(tracked, jitter / np.maximum(real_jitter, 1e-12), 0.0)
    worst = int(np.argmax(ratio))
    return {
        "moving": float((std > MOVING_STD).sum(axis=1).mean()),
        "profile_r": _profile_r(std.mean(axis=0), np.array([r.std for r in real]).mean(axis=0)),
        "clip_r": float(np.mean([_profile_r(s.std, r.std) for s, r in zip(stats, real)])),
        "eye_look": float(std[:, EYE_LOOK].mean()),
        "brow": float(std[:, BROW_UP].mean()),
        "blinks_per_min": float(np.mean([s.blinks_per_min for s in stats])),
        "jitter_max_ratio": float(ratio[worst]),
        "jitter_worst": ARKIT_NAMES[worst],
        "jitter_over_real": [ARKIT_NAMES[i] for i in np.flatnonzero(ratio > 1.0)],
        "channel_std": dict(zip(ARKIT_NAMES, std.mean(axis=0).round(4).tolist())),
    }


# (16 kHz samples, fps) -> (frames, 52) weights, or None where the face has nothing for a clip
Face = Callable[[np.ndarray, float], "np.ndarray | None"]


def checkpoint_face(checkpoint: Path | None) -> Face:
    """A checkpoint as generate() delivers it (numpy runtime), neutral at intensity 0.5."""
    from ..pipeline import generate

    def face(samples: np.ndarray, fps: float) -> np.ndarray:
        anim = generate(samples, emotion="neutral", intensity=0.5, fps=fps, device="cpu",
                        checkpoint=checkpoint)
        return anim.weights[:, [anim.names.index(n) for n in ARKIT_NAMES]].astype(np.float64)

    return face


def teacher_face() -> Face:
    """The phone-driven teacher that labels the corpus (neutral at intensity 0.5), on the words
    pocketsphinx hears in the clip and their forced alignment; None where they do not align."""
    import hashlib

    from ..data.teacher import FPS, teach
    from .real_video import heard_phones

    def face(samples: np.ndarray, fps: float) -> np.ndarray | None:
        _, phones = heard_phones(samples)
        if not phones:
            return None
        clip_id = hashlib.sha1(samples.tobytes()).hexdigest()[:12]   # its own blinks per clip
        weights = teach(samples, phones, "arpabet", emotion="neutral", intensity=0.5, style=0,
                        seed=0, clip_id=clip_id)
        t = (np.arange(round(len(samples) / 16000 * fps)) + 0.5) / fps
        t_teacher = (np.arange(len(weights)) + 0.5) / FPS
        return np.stack([np.interp(t, t_teacher, col) for col in weights.T], axis=1)

    return face


def realism(folder: Path, faces: dict[str, Face],
            progress: Callable[[str], None] | None = None) -> dict[str, dict]:
    """{face name: row} for the real faces and each of `faces` on the folder's clips."""
    clips = read_clips(folder)
    real = [clip_stats(c.weights, c.fps) for c in clips]
    rows = {REAL: summarise(real, real)}
    for name, face in faces.items():
        stats, paired = [], []
        for clip, real_stats in zip(clips, real):
            if progress:
                progress(f"{name}: {clip.name}")
            weights = face(load_audio(clip.audio), clip.fps)
            if weights is None:
                continue
            # Generated clips can be a frame longer or shorter than the video: compare whole clips.
            stats.append(clip_stats(weights, clip.fps))
            paired.append(real_stats)
        if stats:   # the teacher aligns only some clips, maybe none
            rows[name] = summarise(stats, paired) | {"clips": len(stats)}
    rows[REAL]["clips"] = len(clips)
    rows[REAL]["seconds"] = float(sum(len(c.weights) / c.fps for c in clips))
    return rows


def save_json(rows: dict[str, dict], path: Path) -> None:
    with atomic_write(Path(path)) as f:
        f.write(json.dumps(rows, indent=1) + "\n")


def format_table(rows: dict[str, dict]) -> str:
    real = rows[REAL]
    head = (f"realism on {real['clips']} clips ({real['seconds']:.0f} s); means over clips\n"
            f"{'face':24s} {'clips':>5s} {'moving':>6s} {'prof_r':>6s} {'clip_r':>6s} {'eyeLook':>7s} "
            f"{'brow':>6s} {'blink/m':>7s}  jitter/real: worst channel")
    lines = [head]
    for name, r in rows.items():
        jit = "-" if name == REAL else f"{r['jitter_max_ratio']:.2f} ({r['jitter_worst']})"
        lines.append(f"{name:24s} {r['clips']:5d} {r['moving']:6.1f} {r['profile_r']:6.2f} {r['clip_r']:6.2f} "
                     f"{r['eye_look']:7.3f} {r['brow']:6.3f} {r['blinks_per_min']:7.1f}  {jit}")
    for name, r in rows.items():
        if name != REAL and r["jitter_over_real"]:
            lines.append(f"{name}: jitter above real on {', '.join(r['jitter_over_real'])}")
    return "\n".join(lines)
