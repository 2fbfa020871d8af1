"""Synthetic English from Festival (Debian: festvox-us-slt-hts, festvox-kallpc16k, festvox-kdlpc16k).

Festival reports each segment's end time itself (utt.save.segs), so timings are exact. Emotion
prosody: speaking rate through Festival's Duration_Stretch (timings follow), then pitch and
loudness with sox (`pitch` keeps the tempo, so the timings stay valid).
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ...audio import check_samples
from ..seeding import rng_for
from ..sentences import sentence
from . import Rendered
from .licenses import license_fields

VOICES = ("cmu_us_slt_arctic_hts", "kal_diphone", "ked_diphone")
# Style ids: after the espeak-ng voices (34-49); ked came after Piper took 52.
STYLES = (50, 51, 53)
# (rate multiplier, pitch shift in cents, gain in dB) at full intensity.
EMOTION_PROSODY: dict[str, tuple[float, float, float]] = {
    "neutral": (1.0, 0.0, 0.0), "happy": (1.12, 250.0, 2.0), "sad": (0.8, -200.0, -6.0),
    "angry": (1.1, 100.0, 5.0), "fear": (1.2, 300.0, -2.0), "disgust": (0.88, -120.0, 0.0),
    "surprise": (1.05, 400.0, 3.0),
}


def jobs(seed: int, n_clips: int) -> list[dict]:
    out: list[dict] = []
    for i in range((n_clips + 2) // 3):
        rng = rng_for(seed, f"festival:{i}")
        text = sentence(rng)
        voice = int(rng.integers(len(VOICES)))
        others = rng.choice([e for e in EMOTION_PROSODY if e != "neutral"], 2, replace=False)
        for emotion in ("neutral", *others):
            intensity = 0.5 if emotion == "neutral" else float(np.round(rng.uniform(0.3, 1.0), 2))
            out.append({"id": f"festival_{i:05d}_{emotion}", "source": "festival", "text": text,
                        "voice": voice, "emotion": str(emotion), "intensity": intensity,
                        "sentence": f"festival_{i:05d}"})
    return out[:n_clips]


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", " ").replace('"', " ") + '"'


def render(job: dict) -> Rendered:
    rate, cents, gain = (1.0 + job["intensity"] * (v - n) if k == 0 else job["intensity"] * v
                         for k, (v, n) in enumerate(zip(EMOTION_PROSODY[job["emotion"]], (1.0, 0, 0))))
    with tempfile.TemporaryDirectory() as tmp:
        wav, segs, shifted = Path(tmp, "a.wav"), Path(tmp, "a.segs"), Path(tmp, "b.wav")
        Path(tmp, "run.scm").write_text(
            f"(voice_{VOICES[job['voice']]})\n(Parameter.set 'Duration_Stretch {1.0 / rate:.4f})\n"
            f"(set! utt (Utterance Text {_scheme_string(job['text'])}))\n(utt.synth utt)\n"
            f'(utt.save.wave utt "{wav}" \'riff)\n(utt.save.segs utt "{segs}")\n')
        subprocess.run(["festival", "-b", str(Path(tmp, "run.scm"))], check=True, capture_output=True)
        subprocess.run(["sox", "-D", str(wav), str(shifted), "pitch", f"{cents:.0f}", "gain", f"{gain:.1f}"],
                       check=True, capture_output=True)
        audio, sr = sf.read(shifted, dtype="float32")
        phones, start = [], 0.0
        for line in segs.read_text().splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[0] != "#":
                end = float(fields[0])
                if end > start:
                    phones.append((start, end, "SIL" if fields[2] == "pau" else _arpabet(fields[2])))
                start = max(start, end)
    meta = {"emotion": job["emotion"], "intensity": job["intensity"],
            "speaker": f"festival_{VOICES[job['voice']]}", "style": STYLES[job["voice"]],
            "text": job["text"], "sentence": job["sentence"], "source_emotion": job["emotion"],
            **license_fields("festival")}
    return Rendered(check_samples(audio, sr), phones, "arpabet", meta)


def _arpabet(phone: str) -> str:
    """Festival's US phone set is ARPAbet in lower case, plus ax (schwa) and axr."""
    return {"ax": "AH", "axr": "ER"}.get(phone, phone.upper())
