"""talkface_core.audio on real files made by espeak-ng, sox and soundfile, bad ones included."""
from __future__ import annotations

import struct
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
    """Two minutes of 48 kHz stereo: identical to resample_poly on the whole (but for the first
    and last few samples, where the stream pads with the signal's mean instead of zeros), far
    below float64 size."""
    path = tone(tmp_path / "long.wav", "vol", "0.3", rate=48000, channels=2, seconds=120, freq=220)
    tracemalloc.start()
    audio = load_audio(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    whole = sf.read(path, dtype="float32")[0].mean(axis=1)
    expected = resample_poly(whole, 1, 3)
    assert audio.shape == expected.shape
    np.testing.assert_allclose(audio[20:-20], expected[20:-20], atol=1e-6)
    np.testing.assert_allclose(audio, expected, atol=1e-3)
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


def _sine(rate: int, seconds: float, freq: float, level: float = 0.5) -> np.ndarray:
    return (level * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def test_a_rate_with_no_common_factor_with_16k_stays_in_tune_and_in_time() -> None:
    """383999 Hz (prime: the exact ratio 16000/383999 needs a 7.7-million-tap filter, ~100x
    slower) takes the approximate ratio 1/24 with chunks re-anchored at their exact time: the
    length is exact, a 1 kHz tone stays at 1 kHz, and it is in phase with the true 16 kHz
    samples to the end (the plain 1/24 ratio would be 26 us late after 10 s: error 0.08)."""
    rate, seconds = 383999, 10.0
    audio = check_samples(_sine(rate, seconds, 1000.0), rate)
    assert len(audio) == -(-int(rate * seconds) * SAMPLE_RATE // rate)
    freqs = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    assert abs(freqs[np.argmax(np.abs(np.fft.rfft(audio)))] - 1000.0) < 0.2
    truth = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(len(audio)) / SAMPLE_RATE)
    assert np.abs(audio - truth)[100:-100].max() < 0.01
    assert np.abs(audio - truth)[-SAMPLE_RATE:-100].max() < 0.01   # no drift over the file


def test_a_prime_rate_file_reads_in_tune(tmp_path: Path) -> None:
    audio = load_audio(tone(tmp_path / "odd.wav", "vol", "0.5", rate=383999, seconds=2.0, freq=700))
    assert len(audio) == 2 * SAMPLE_RATE
    freqs = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    assert abs(freqs[np.argmax(np.abs(np.fft.rfft(audio)))] - 700) < 1


def test_a_constant_offset_is_not_sound() -> None:
    """DC-only audio animated the jaw (0.13 open) before: it is silence. A DC offset under a
    voice is removed, leaving the voice exactly as without it, to the first and last sample."""
    rate = 44100
    for offset in (0.5, -0.25):
        with pytest.raises(AudioError, match=r"only a constant offset \(DC\)"):
            check_samples(np.full(rate, offset, np.float32), rate)
    with pytest.raises(AudioError, match="constant offset"):
        check_samples(np.full(8000, 200, np.uint8), 8000)
    voice = _sine(rate, 2.0, 300.0, 0.3) * np.hanning(2 * rate).astype(np.float32)
    np.testing.assert_allclose(check_samples(voice + 0.4, rate), check_samples(voice, rate),
                               atol=1e-6)


def test_unsigned_samples_are_offset_pcm() -> None:
    """uint8 PCM (8-bit WAV) is centred on 128: it was read as 0..1 (a DC offset of 0.5)."""
    rate = 8000
    wave = np.sin(2 * np.pi * 200 * np.arange(rate) / rate)
    audio = check_samples((128 + 100 * wave).round().astype(np.uint8), rate)
    expected = check_samples((100 / 128 * wave).astype(np.float32), rate)
    np.testing.assert_allclose(audio, expected, atol=5e-3)   # 8-bit rounding
    signed = check_samples((wave * 2**30).astype(np.int32), rate)
    np.testing.assert_allclose(signed, check_samples((wave / 2).astype(np.float32), rate),
                               atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 48000), (1, 48000), (6, 48000)])
def test_channels_first_arrays_are_refused_with_the_fix(shape: tuple[int, int]) -> None:
    """A (2, N) array was read as N channels of 2 frames: 2 samples of audio, no error."""
    samples = np.random.default_rng(0).normal(0, 0.1, shape).astype(np.float32)
    with pytest.raises(AudioError, match=rf"channels-first.*samples\.T of shape \({shape[1]}, "):
        check_samples(samples, 48000)
    assert len(check_samples(samples.T, 48000)) == SAMPLE_RATE


def test_samples_must_be_an_array() -> None:
    with pytest.raises(AudioError, match="must be a numpy array, got list"):
        check_samples([0.1, 0.2], 16000)


def test_a_wav_header_claiming_more_than_its_data_reads_the_data(tmp_path: Path) -> None:
    """A hand-made WAV whose data chunk claims 10 s over 1 s of samples: libsndfile counts the
    samples that are there, so it reads as the 1 s it holds, intact."""
    rate = 16000
    pcm = (0.5 * np.sin(2 * np.pi * 300 * np.arange(rate) / rate) * 32767).astype("<i2").tobytes()
    claimed = 10 * rate * 2
    header = (b"RIFF" + struct.pack("<I", 36 + claimed) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)
              + b"data" + struct.pack("<I", claimed))
    path = tmp_path / "lying.wav"
    path.write_bytes(header + pcm)
    audio = load_audio(path, max_seconds=5)   # the claimed 10 s would be over this limit
    assert len(audio) == rate
    np.testing.assert_allclose(audio, np.frombuffer(pcm, "<i2") / 32768,
                               atol=1e-4)
