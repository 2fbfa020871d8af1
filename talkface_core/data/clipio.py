"""Writing and reading corpus clips, byte-for-byte reproducibly.

np.savez stamps the zip entries with the current time, so two identical builds would differ;
here every entry gets a fixed timestamp. Files are written under a temporary name and renamed,
so a clip that exists is complete (this is what makes a build resumable).
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ..audio import SAMPLE_RATE

PHONE_DTYPE = np.dtype([("start", "<f4"), ("end", "<f4"), ("phone", "<U8")])


def phones_array(phones: list[tuple[float, float, str]]) -> np.ndarray:
    return np.array([(s, e, p[:8]) for s, e, p in phones], dtype=PHONE_DTYPE)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    os.replace(tmp, path)


def write_clip(clips_dir: Path, clip_id: str, audio: np.ndarray, arrays: dict[str, np.ndarray],
               record: dict) -> None:
    """wav, then npz, then the json record last: the record's presence marks the clip complete."""
    wav_tmp = clips_dir / f"{clip_id}.tmp.wav"
    sf.write(wav_tmp, audio, SAMPLE_RATE, subtype="PCM_16")
    os.replace(wav_tmp, clips_dir / f"{clip_id}.wav")
    write_npz(clips_dir / f"{clip_id}.npz", arrays)
    rec_tmp = clips_dir / f"{clip_id}.json.tmp"
    rec_tmp.write_text(json.dumps(record, sort_keys=True) + "\n")
    os.replace(rec_tmp, clips_dir / f"{clip_id}.json")


def read_record(clips_dir: Path, clip_id: str) -> dict | None:
    path = clips_dir / f"{clip_id}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())
