"""espeak-ng through libespeak-ng (ctypes): audio plus the engine's own phoneme events.

The phoneme events carry the millisecond position of each phoneme in the audio espeak-ng
itself produced, so the timings are exact by construction (no aligner, no guessing). A phone
lasts until the next event; pauses come as the "_" phoneme.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
from dataclasses import dataclass

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_EVENT_LIST_TERMINATED, _EVENT_PHONEME, _EVENT_MSG_TERMINATED = 0, 7, 6
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
        ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Prosody:
    """espeak-ng's own prosody knobs: rate (words/min), pitch and range (0-100), volume (0-200)."""
    rate: int = 165
    pitch: int = 50
    range: int = 50
    volume: int = 100
    wordgap: int = 0  # extra pause between words, in units of 10 ms


class Espeak:
    """One libespeak-ng engine per process (the library is a process-wide singleton)."""

    _instance: "Espeak | None" = None

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        self._lib = ctypes.CDLL(name)
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, str]] = []
        self._callback = _CALLBACK(self._on_synth)  # kept alive: C holds the pointer
        self._start()

    def _start(self) -> None:
        self.sample_rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None,
                                                       _INITIALIZE_PHONEME_EVENTS)
        if self.sample_rate <= 0:
            raise RuntimeError("libespeak-ng failed to initialise")
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                           ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]

    @classmethod
    def get(cls) -> "Espeak":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _on_synth(self, wav, n: int, events) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_PHONEME:
                self._events.append((events[i].audio_position,
                                     events[i].id.string.decode("utf-8", "replace")))
            i += 1
        return 0

    def synth(self, text: str, voice: str = "en-us", prosody: Prosody = Prosody()
              ) -> tuple[np.ndarray, int, list[tuple[float, float, str]]]:
        """Speak `text`; return (float32 samples, sample rate, [(start s, end s, espeak phoneme)])."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        for param, value in ((_RATE, prosody.rate), (_PITCH, prosody.pitch), (_RANGE, prosody.range),
                             (_VOLUME, prosody.volume), (_WORDGAP, prosody.wordgap)):
            self._lib.espeak_SetParameter(param, int(value), 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        if self._lib.espeak_Synth(data, len(data), 0, 0, 0, _CHARS_UTF8, None, None) != 0:
            raise RuntimeError(f"espeak-ng could not speak {text!r}")
        samples = (np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16))
        audio = samples.astype(np.float32) / 32768.0
        duration = len(audio) / self.sample_rate
        phones: list[tuple[float, float, str]] = []
        for k, (ms, name) in enumerate(self._events):
            end = self._events[k + 1][0] if k + 1 < len(self._events) else duration * 1000
            if end > ms:
                phones.append((ms / 1000.0, min(end / 1000.0, duration), name))
        return audio, self.sample_rate, phones


def synth_fresh(text: str, voice: str = "en-us", prosody: Prosody = Prosody()
                ) -> tuple[np.ndarray, int, list[tuple[float, float, str]]]:
    """Espeak.synth in a forked child with a brand-new engine.

    libespeak-ng carries filter and noise state from one utterance into the next (and cannot be
    re-initialised in one process), so the same text would sound slightly different depending on
    what was spoken before it. A fresh engine per utterance makes every clip bit-reproducible
    whatever the build order; a fork costs a few milliseconds.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            result: object = Espeak.get().synth(text, voice, prosody)
        except BaseException as exc:  # report any failure to the parent
            result, code = exc, 1
        with os.fdopen(write_fd, "wb") as fh:
            pickle.dump(result, fh)
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        result = pickle.load(fh)
    os.waitpid(pid, 0)
    if isinstance(result, BaseException):
        raise result
    return result
