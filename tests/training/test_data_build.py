"""`talkface data build` end to end on a small synthetic corpus: format, licenses,
bit-identical rebuilds (any worker count), resuming."""
from __future__ import annotations

import hashlib
import os
import shutil
import json
from pathlib import Path

import numpy as np
import pytest

from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.cli import main

N_ESPEAK, N_FESTIVAL = 9, 3
N = N_ESPEAK + N_FESTIVAL


def _build(out: Path, workers: int) -> dict[str, str]:
    if shutil.which("festival") is None or shutil.which("sox") is None:
        pytest.skip("festival/sox not installed (.ci/run installs them with apt-get)")
    assert main(["data", "build", "--out", str(out), "--sources", "tts,festival", "--clips", str(N_ESPEAK),
                 "--festival-clips", str(N_FESTIVAL), "--seed", "5", "--workers", str(workers),
                 "--quiet"]) == 0
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("corpus")
    return out, _build(out, workers=2)


def test_clip_format(corpus) -> None:
    out, _ = corpus
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(records) == N
    for rec in records:
        with np.load(out / rec["npz"], allow_pickle=False) as z:
            w = z["weights"]
            assert w.dtype == np.float32 and w.shape[1] == len(ARKIT_NAMES) == 52
            assert 0.0 <= w.min() and w.max() <= 1.0
            assert abs(len(w) / 60.0 - rec["duration"]) < 0.02
            assert str(z["emotion"]) == rec["emotion"] and str(z["license"]) == rec["license"]
            assert z["phones"].dtype.names == ("start", "end", "phone")
            assert float(z["phones"]["end"][-1]) <= rec["duration"] + 0.02
        assert rec["license_use"] == "any" and rec["source"] in ("tts", "festival")
        assert 1.0 <= rec["duration"] <= 12.0
    # Every sentence is spoken in several emotions by one voice: same-words pairs.
    by_sentence: dict[str, set[str]] = {}
    for rec in records:
        by_sentence.setdefault(rec["sentence"], set()).add(rec["emotion"])
    assert all(len(e) == 3 and "neutral" in e for e in by_sentence.values())


def test_same_seed_is_bit_identical_whatever_the_worker_count(corpus, tmp_path: Path) -> None:
    _, first = corpus
    omp = os.environ.get("OMP_NUM_THREADS")
    assert _build(tmp_path / "again", workers=1) == first
    # Building in this process leaves its environment alone: OMP_NUM_THREADS set here once leaked
    # into every later run (the int8 speech encoder computes differently under it).
    assert os.environ.get("OMP_NUM_THREADS") == omp


def test_resume_rebuilds_only_what_is_missing(corpus, tmp_path: Path) -> None:
    out, first = corpus
    victim = sorted(out.glob("clips/*.json"))[0]
    victim.unlink()
    kept = sorted(out.glob("clips/*.npz"))[1]
    mtime = kept.stat().st_mtime_ns
    assert _build(out, workers=1) == first
    assert kept.stat().st_mtime_ns == mtime  # complete clips were skipped, not rewritten


def test_other_seed_other_corpus(corpus, tmp_path: Path) -> None:
    _, first = corpus
    assert main(["data", "build", "--out", str(tmp_path), "--sources", "tts", "--clips", "3",
                 "--seed", "6", "--quiet"]) == 0
    assert (tmp_path / "manifest.jsonl").read_text() != ""
    assert set(first) != {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()} \
        or any(first[k] != hashlib.sha256((tmp_path / k).read_bytes()).hexdigest() for k in first
               if (tmp_path / k).exists())


def test_augmented_copies_keep_labels_in_step(tmp_path: Path) -> None:
    assert main(["data", "build", "--out", str(tmp_path), "--sources", "tts", "--clips", "2",
                 "--seed", "1", "--augment", "3", "--workers", "1", "--quiet"]) == 0
    records = {json.loads(x)["id"]: json.loads(x) for x in (tmp_path / "manifest.jsonl").read_text().splitlines()}
    assert len(records) == 8
    for rid, rec in records.items():
        if "augment" not in rec:
            continue
        base = records[rec["base_id"]]
        speed = rec["augment"]["speed"]
        assert abs(rec["duration"] - base["duration"] / speed) < 0.01
        with np.load(tmp_path / rec["npz"]) as z, np.load(tmp_path / base["npz"]) as zb:
            assert np.allclose(z["phones"]["end"] * speed, zb["phones"]["end"], atol=1e-3)
            assert abs(len(z["weights"]) - len(zb["weights"]) / speed) <= 1
        import soundfile as sf
        noisy, _ = sf.read(tmp_path / rec["wav"])
        clean, _ = sf.read(tmp_path / base["wav"])
        if speed == 1.0:
            assert not np.allclose(noisy, clean, atol=1e-3)  # it was degraded


def test_relabel_reproduces_the_build_and_keeps_everything_else(corpus, tmp_path: Path) -> None:
    out, _ = corpus
    copy = tmp_path / "corpus"
    shutil.copytree(out, copy)
    npzs = sorted(copy.glob("clips/*.npz"))
    before = {p.name: dict(np.load(p, allow_pickle=False)) for p in npzs}
    from talkface_core.data.clipio import write_npz
    for p in npzs:   # labels from some older teacher
        write_npz(p, dict(before[p.name], weights=np.zeros_like(before[p.name]["weights"])))
    wavs = {p.name: p.read_bytes() for p in copy.glob("clips/*.wav")}
    assert main(["data", "relabel", "--data", str(copy), "--seed", "5", "--workers", "2", "--quiet"]) == 0
    for p in npzs:
        with np.load(p, allow_pickle=False) as z:
            assert set(z.files) == set(before[p.name])
            for name in z.files:
                if name != "weights":
                    assert np.array_equal(z[name], before[p.name][name]), (p.name, name)
            # The build's teacher read the voice before it was saved as 16-bit PCM; relabelling
            # reads the saved file: the same curves up to that rounding.
            assert np.abs(z["weights"] - before[p.name]["weights"]).mean() < 2e-3, p.name
            assert z["weights"].max() > 0.5
    assert wavs == {p.name: p.read_bytes() for p in copy.glob("clips/*.wav")}


def test_relabel_refuses_degraded_copies_and_a_folder_without_a_corpus(tmp_path: Path) -> None:
    from talkface_core.data.relabel import relabel_clip
    with pytest.raises(ValueError, match="degraded copy"):
        relabel_clip(tmp_path, {"id": "x_aug1", "augment": {"speed": 1.0}, "npz": "clips/x_aug1.npz"}, 0)
    with pytest.raises(SystemExit, match="manifest.jsonl not found"):
        main(["data", "relabel", "--data", str(tmp_path), "--seed", "0", "--quiet"])
