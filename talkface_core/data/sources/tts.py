"""Synthetic speech from espeak-ng, English (source "tts") and German (source "tts_de"):
generated sentences, each voiced by one speaker in several emotions (prosody per emotion scaled
by intensity), so same-words/different-emotion pairs exist. Phone timings are espeak-ng's own
phoneme events (exact)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...audio import SAMPLE_RATE, check_samples
from ..espeak import Prosody, synth_fresh
from ..seeding import rng_for
from ..sentences import sentence
from . import Rendered
from .licenses import license_fields

VOICES: tuple[str, ...] = tuple(f"en-us+{v}" for v in ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2",
                                                        "f3", "f4", "f5")) + (
    "en-gb-x-rp+m3", "en-gb-x-rp+f2", "en-gb-scotland+m1", "en-029+f3", "en-us")
STYLE_BASE = 34  # style ids 0-23 RAVDESS actors, 24-33 EmoDB speakers, 34.. espeak voices
VOICES_DE: tuple[str, ...] = ("de", "de+m1", "de+m3", "de+m5", "de+f1", "de+f3", "de+f4")


@dataclass(frozen=True)
class VoiceSet:
    language: str      # sentences.LANGUAGES key
    voices: tuple[str, ...]
    style_base: int
    phone_set: str     # phonesets.PHONE_SETS key of espeak-ng's phoneme names in that language
    speaker: str       # speaker-name prefix


# Keyed by source; English keeps the ids and random streams it had before German came.
VOICE_SETS: dict[str, VoiceSet] = {
    "tts": VoiceSet("en", VOICES, STYLE_BASE, "espeak", "espeak_"),
    "tts_de": VoiceSet("de", VOICES_DE, 54, "espeak_de", "espeak_de_"),  # styles 54-60
}

# Prosody at full intensity: (rate words/min, pitch 0-100, range 0-100, volume 0-200).
EMOTION_PROSODY: dict[str, tuple[float, float, float, float]] = {
    "neutral": (165, 50, 50, 100),
    "happy": (185, 68, 85, 125),
    "sad": (128, 36, 18, 70),
    "angry": (182, 55, 88, 170),
    "fear": (198, 76, 65, 90),
    "disgust": (140, 40, 55, 105),
    "surprise": (172, 82, 98, 135),
}
EMOTIONS_PER_SENTENCE = 3  # neutral + two others
MIN_SECONDS = 1.0


def jobs(seed: int, n_clips: int, source: str = "tts") -> list[dict]:
    vs = VOICE_SETS[source]
    prefix = source.replace("_", "")
    out: list[dict] = []
    for i in range((n_clips + EMOTIONS_PER_SENTENCE - 1) // EMOTIONS_PER_SENTENCE):
        rng = rng_for(seed, f"{prefix}:{i}")
        text = sentence(rng, vs.language)
        voice = int(rng.integers(len(vs.voices)))
        others = rng.choice([e for e in EMOTION_PROSODY if e != "neutral"], 2, replace=False)
        for emotion in ("neutral", *others):
            intensity = 0.5 if emotion == "neutral" else float(np.round(rng.uniform(0.3, 1.0), 2))
            out.append({"id": f"{prefix}_{i:05d}_{emotion}", "source": source, "text": text, "voice": voice,
                        "emotion": str(emotion), "intensity": intensity, "sentence": f"{prefix}_{i:05d}",
                        "lead_s": round(float(rng.uniform(0.15, 0.6)), 3),
                        "tail_s": round(float(rng.uniform(0.2, 0.6)), 3)})
    return out[:n_clips]


def prosody_for(emotion: str, intensity: float, voice: int, source: str = "tts") -> Prosody:
    base, target = np.array(EMOTION_PROSODY["neutral"]), np.array(EMOTION_PROSODY[emotion])
    rate, pitch, rng_, vol = base + intensity * (target - base)
    # A voice's own pitch and pace, fixed per voice.
    speaker = rng_for(0, f"voice:{voice}" if source == "tts" else f"voice:{source}:{voice}")
    return Prosody(rate=int(rate * speaker.uniform(0.9, 1.1)),
                   pitch=int(np.clip(pitch + speaker.uniform(-8, 8), 0, 100)),
                   range=int(rng_), volume=int(vol), wordgap=int(speaker.integers(0, 2)))


def render(job: dict) -> Rendered:
    vs = VOICE_SETS[job["source"]]
    audio, sr, phones = synth_fresh(job["text"], vs.voices[job["voice"]],
                                     prosody_for(job["emotion"], job["intensity"], job["voice"], job["source"]))
    # Silence before and after, as in a recording (and the rest pose the teacher relaxes to);
    # at least MIN_SECONDS in all.
    speech = check_samples(audio, sr)
    lead = int(job["lead_s"] * SAMPLE_RATE)
    tail = max(int(job["tail_s"] * SAMPLE_RATE), int(MIN_SECONDS * SAMPLE_RATE) - lead - len(speech))
    audio = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
    shift = lead / SAMPLE_RATE
    phones = ([(0.0, shift, "_")] + [(s + shift, e + shift, p) for s, e, p in phones]
              + [(shift + len(speech) / SAMPLE_RATE, len(audio) / SAMPLE_RATE, "_")])
    meta = {"emotion": job["emotion"], "intensity": job["intensity"],
            "speaker": f"{vs.speaker}{job['voice']:02d}", "style": vs.style_base + job["voice"],
            "text": job["text"], "sentence": job["sentence"], "source_emotion": job["emotion"],
            "voice": vs.voices[job["voice"]], **license_fields("tts")}
    return Rendered(audio, phones, vs.phone_set, meta)
