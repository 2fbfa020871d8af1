"""talkface_core.audio on real files made by espeak-ng, sox and soundfile, bad ones included."""
from __future__ import annotations

import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from fixtures.speech import run_tool
from talkface_core.audio import (DEFAULT_MAX_SECONDS, SAMPLE_RATE, AudioError, AudioWarning,
                                 check_samples, load_audio)


def tone(path: Path, *effects: str, rate: int = 44100, channels: int = 1, seconds: float = 1.0,
         freq: int = 440) -> Path:
    run_tool("sox", "-n", "-r", str(rate), "-c", str(channels), path,
             "synth", str(seconds), "sine", str(freq), *effects)
    return path


def test_speech_becomes_16k_mono_float32(speech_wav: Path) -> None:
    native, rate = sf.read(speech_wav, dtype="float32")
    audio = load_audio(speech_wav)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / SAMPLE_RATE - len(native) / rate) < 1e-3
    assert np.abs(audio).max() <= 1.0
    assert np.sqrt(np.mean(audio ** 2)) > 0.01  # the voice survived


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3"])
def test_reads_every_common_container(tmp_path: Path, suffix: str) -> None:
    source = tone(tmp_path / "src.wav", "vol", "0.5", rate=48000)
    data, rate = sf.read(source)
    target = tmp_path / f"tone{suffix}"
    try:
        sf.write(target, data, rate)
    except (sf.LibsndfileError, TypeError, ValueError) as exc:
        pytest.skip(f"this libsndfile cannot write {suffix}: {exc}")
    audio = load_audio(target)
    assert abs(len(audio) - SAMPLE_RATE) < 0.03 * SAMPLE_RATE  # mp3 adds encoder padding
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(audio) - 440) < 3


def test_resampling_keeps_pitch_and_duration(tmp_path: Path) -> None:
    audio = load_audio(tone(tmp_path / "t.wav", "vol", "0.5", rate=44100, seconds=2.0, freq=1000))
    assert len(audio) == 2 * SAMPLE_RATE
    freqs = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    assert abs(freqs[np.argmax(np.abs(np.fft.rfft(audio)))] - 1000) < 1


def test_stereo_is_mixed_to_mono(tmp_path: Path) -> None:
    left = tone(tmp_path / "l.wav", "vol", "0.4", rate=16000, freq=300)
    right = tone(tmp_path / "r.wav", "vol", "0.4", rate=16000, freq=2000)
    stereo = tmp_path / "stereo.wav"
    run_tool("sox", "-M", left, right, stereo)
    audio = load_audio(stereo)
    spectrum = np.abs(np.fft.rfft(audio))
    freqs = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    level = {f: spectrum[np.argmin(np.abs(freqs - f))] for f in (300, 2000)}
    assert level[300] > 0.3 * level[2000] and level[2000] > 0.3 * level[300]


def test_streamed_resampling_equals_one_shot_and_stays_small(tmp_path: Path) -> None:
    """Two minutes of 48 kHz stereo: identical to resample_poly on the whole, far below float64 size."""
    path = tone(tmp_path / "long.wav", "vol", "0.3", rate=48000, channels=2, seconds=120, freq=220)
    tracemalloc.start()
    audio = load_audio(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    whole = sf.read(path, dtype="float32")[0].mean(axis=1)
    expected = resample_poly(whole, 1, 3)
    assert audio.shape == expected.shape
    np.testing.assert_allclose(audio, expected, atol=1e-6)
    # The 16 kHz result and its pieces (2x) plus a few blocks; reading whole would take 92 MB.
    assert peak < 2.5 * audio.nbytes
    assert peak < (120 * 48000 * 2 * 8) / 4


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_directory_is_not_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not a file"):
        load_audio(tmp_path)


def test_text_file_is_not_audio(tmp_path: Path) -> None:
    fake = tmp_path / "notes.wav"
    fake.write_text("this is not a recording\n" * 100)
    with pytest.raises(AudioError, match="not an audio file"):
        load_audio(fake)


def test_zero_length(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    run_tool("sox", "-n", "-r", "16000", "-c", "1", empty, "trim", "0", "0")
    with pytest.raises(AudioError, match="zero length"):
        load_audio(empty)


def test_all_silent(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    run_tool("sox", "-n", "-r", "22050", "-c", "1", silent, "trim", "0", "2")
    with pytest.raises(AudioError, match="silent"):
        load_audio(silent)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_samples(tmp_path: Path, bad: float) -> None:
    data = 0.1 * np.sin(np.linspace(0, 2000, 48000)).astype(np.float32)
    data[30000] = bad
    path = tmp_path / "bad.wav"
    sf.write(path, data, 48000, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN or infinite"):
        load_audio(path)


@pytest.mark.parametrize("rate", [4000, 768000])
def test_absurd_sample_rates(tmp_path: Path, rate: int) -> None:
    with pytest.raises(AudioError, match="sample rate"):
        load_audio(tone(tmp_path / "r.wav", "vol", "0.5", rate=rate, seconds=0.2))


def test_too_long_is_refused_before_reading(tmp_path: Path) -> None:
    path = tone(tmp_path / "t.wav", "vol", "0.5", rate=16000, seconds=3)
    assert DEFAULT_MAX_SECONDS == 7200
    with pytest.raises(AudioError, match="limit is 0:00:02"):
        load_audio(path, max_seconds=2)
    assert len(load_audio(path, max_seconds=4)) == 3 * SAMPLE_RATE


def test_clipping_warns(tmp_path: Path) -> None:
    with pytest.warns(AudioWarning, match="clipped"):
        load_audio(tone(tmp_path / "hot.wav", "vol", "4", rate=16000))


def test_very_low_level_warns(tmp_path: Path) -> None:
    with pytest.warns(AudioWarning, match="very low level"):
        load_audio(tone(tmp_path / "quiet.wav", "vol", "0.005", rate=16000))


def test_normal_level_does_not_warn(speech_wav: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        load_audio(speech_wav)


def test_arrays_in_memory_get_the_same_checks() -> None:
    rate = 8000
    t = np.arange(rate) / rate
    pcm = (0.5 * np.sin(2 * np.pi * 200 * t) * 32767).astype(np.int16)
    audio = check_samples(pcm, rate)
    assert len(audio) == SAMPLE_RATE and 0.45 < np.abs(audio).max() <= 0.51
    with pytest.raises(AudioError, match="silent"):
        check_samples(np.zeros(rate, np.float32), rate)
    with pytest.raises(AudioError, match="sample rate"):
        check_samples(pcm, 1000)
    with pytest.raises(AudioError, match="whole number"):
        check_samples(pcm, 16000.5)
    with pytest.raises(AudioError, match="NaN"):
        check_samples(np.full(rate, np.nan, np.float32), rate)
    with pytest.raises(AudioError, match="zero length"):
        check_samples(np.zeros(0, np.float32), rate)
    with pytest.raises(AudioError, match="numbers"):
        check_samples(np.array(["a", "b"]), rate)
