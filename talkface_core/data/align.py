"""Forced alignment of known text with pocketsphinx (its bundled en-us model and dictionary).

Two passes, as pocketsphinx 5 documents: word alignment, then phone/state alignment. Times
come at pocketsphinx's 100 frames a second (10 ms).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

_FRAME_S = 0.01
_decoder = None
_words: set[str] | None = None


class AlignmentError(RuntimeError):
    """The aligner found no path through the text, or lost words on the way."""


def align(audio: np.ndarray, text: str) -> list[tuple[float, float, str]]:
    """16 kHz float audio + its transcript -> [(start s, end s, ARPAbet phone)], "SIL" for pauses.

    A failed pass is retried once on the audio normalised to a 0.7 peak: on RAVDESS this rescues
    a quarter of the failures (quiet takes, where the front end's noise floor estimate misleads).
    """
    try:
        return _align(audio, text)
    except AlignmentError:
        peak = float(np.abs(audio).max())
        if peak <= 0.0:
            raise
        return _align(audio * (0.7 / peak), text)


def _align(audio: np.ndarray, text: str) -> list[tuple[float, float, str]]:
    global _decoder
    if _decoder is None:  # one decoder per process: loading the model takes ~0.3 s
        from pocketsphinx import Decoder
        # Batch CMN: each utterance normalised by its own mean, so an alignment does not depend
        # on which clips this process aligned before (live CMN carries over between utterances).
        _decoder = Decoder(samprate=16000, loglevel="FATAL", cmn="batch")
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16).tobytes()
    words = re.findall(r"[a-z']+", text.lower())
    try:
        _decoder.set_align_text(" ".join(words))
        for second_pass in (False, True):
            if second_pass:
                _decoder.set_alignment()
            _decoder.start_utt()
            _decoder.process_raw(pcm, full_utt=True)
            _decoder.end_utt()
        # Read everything while the alignment object lives: its entries point into it.
        alignment = _decoder.get_alignment()
        found, phones = [], []
        for word in alignment:
            if not word.name.startswith("<") and word.name != "sil":
                found.append(word.name.split("(")[0])
            phones += [(p.start * _FRAME_S, (p.start + p.duration) * _FRAME_S, p.name) for p in word]
    except (RuntimeError, ValueError) as exc:
        raise AlignmentError(str(exc)) from exc
    if found != words:
        raise AlignmentError(f"aligned {found} for {words}")
    return phones


def in_dictionary(text: str) -> bool:
    """Whether pocketsphinx's bundled dictionary has every word of `text` (it cannot align others)."""
    global _words
    if _words is None:
        from pocketsphinx import get_model_path
        with open(Path(get_model_path()) / "en-us" / "cmudict-en-us.dict", encoding="utf-8") as fh:
            _words = {line.split(" ", 1)[0].split("(")[0] for line in fh}
    return all(w in _words for w in re.findall(r"[a-z']+", text.lower()))
