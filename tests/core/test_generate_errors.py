"""Cheap errors stay cheap and failed writes lose nothing: `talkface generate` and generate() with
bad input, and output writes that fail (disk full, read-only folder)."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from talkface_core import GenerationRequest, RequestError, generate
from talkface_core.animation import Animation
from talkface_core.audio import AudioError
from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.cli import main

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "ctranslate2", "safetensors", "soundfile", "scipy", "talkface_core.pipeline",
         "talkface_core.model.checkpoint", "talkface_core.model.whisper_encoder")


def test_a_missing_input_file_is_reported_before_anything_heavy_loads(tmp_path):
    """Timing-free evidence: in a fresh Python the error comes back with none of the model,
    encoder or audio modules imported (before: 2-3 s and 460 MB, the model loaded first)."""
    code = ("import sys\nfrom talkface_core.cli import main\n"
            f"rc = main(['generate', {str(tmp_path / 'missing.wav')!r}, '-o', "
            f"{str(tmp_path / 'x.json')!r}])\n"
            f"print(rc, [m for m in {HEAVY!r} if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120)
    assert done.stdout.strip() == "2 []", done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"talkface generate: error: audio file not found: {tmp_path / 'missing.wav'}"]
    assert not (tmp_path / "x.json").exists()


def test_a_missing_speech_encoder_folder_is_an_option_error(tmp_path, speech_wav, capsys):
    out = tmp_path / "x.json"
    rc = main(["generate", str(speech_wav), "-o", str(out), "--speech-encoder",
               str(tmp_path / "no-such-model"), "--quiet"])
    assert rc == 2 and not out.exists()
    assert "speech encoder: folder not found" in capsys.readouterr().err


@pytest.mark.parametrize("audio, message", [
    (None, "audio must be a file path or a numpy array of samples, got NoneType"),
    ([0.1, 0.2], "got list"),
])
def test_audio_that_is_neither_a_path_nor_samples(audio, message):
    with pytest.raises(AudioError, match=message):
        generate(audio)


def test_bad_request_objects_and_bool_options():
    samples = np.zeros(16000, np.float32)
    with pytest.raises(RequestError, match="request must be a GenerationRequest, got str"):
        generate(samples, "fast")
    for option in ("style", "seed"):
        with pytest.raises(RequestError, match=f"{option} must be a non-negative integer, got True"):
            GenerationRequest(**{option: True})
    with pytest.raises(RequestError, match="style must be a non-negative integer, got True"):
        generate(samples, style=True)


def _old_file(path: Path) -> bytes:
    Animation(ARKIT_NAMES, 30.0, np.full((5, 52), 0.25, np.float32)).save(path)
    return path.read_bytes()


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("suffix", [".json", ".csv", ".npz"])
def test_a_write_that_fails_leaves_the_old_file_as_it_was(tmp_path, monkeypatch, suffix):
    """Disk full when the data is flushed to disk: the previous file survives byte for byte and
    no temporary file is left beside it."""
    path = tmp_path / f"take{suffix}"
    before = _old_file(path)
    monkeypatch.setattr(os, "fsync", _no_space)
    new = Animation(ARKIT_NAMES, 60.0, np.full((90, 52), 0.75, np.float32))
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_the_cli_reports_a_full_disk_in_one_line_and_keeps_the_old_file(
        tmp_path, monkeypatch, speech_wav, capsys):
    path = tmp_path / "take.json"
    before = _old_file(path)
    monkeypatch.setattr(os, "replace", _no_space)   # the rename that would put the file in place
    rc = main(["generate", str(speech_wav), "-o", str(path), "--quiet", "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == [f"talkface generate: error: could not write {path}: "
                               "No space left on device"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_before_generating(tmp_path, speech_wav, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "take.json"
    before = _old_file(path)
    folder.chmod(0o555)
    try:
        rc = main(["generate", str(speech_wav), "-o", str(path), "--quiet"])
    finally:
        folder.chmod(0o755)
    assert rc == 2 and "is not writable" in capsys.readouterr().err
    assert path.read_bytes() == before
