"""`talkface data relabel`: run the teacher again over a built corpus after the teacher changed.

Audio and phone timings are what takes a build its 20 minutes (speech synthesis, forced
alignment) and what the Whisper feature caches are computed from; neither depends on the
teacher. Relabelling rewrites only each clip's `weights` (atomically, every other array kept),
so a teacher fix costs minutes and the caches stay valid. Labels come out as a fresh build
with the same seed would make them: the teacher reads the clip's saved (16-bit) audio, the
voice it read when the clip was built.
"""
from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from .build import single_threaded_worker
from .clipio import write_npz
from .teacher import teach


def relabel_clip(corpus: Path, record: dict, seed: int) -> str:
    """Relabel one clip in place; returns its id."""
    if record.get("augment"):
        # A degraded copy's teacher read the clean voice, which the corpus does not keep.
        raise ValueError(f"{record['id']} is a degraded copy (built with --augment); rebuild it instead")
    path = corpus / record["npz"]
    with np.load(path, allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    audio, _ = sf.read(corpus / record["wav"], dtype="float32")
    phones = [(float(s), float(e), str(p)) for s, e, p in arrays["phones"]]
    weights = teach(audio, phones, str(arrays["phone_set"]), emotion=str(arrays["emotion"]),
                    intensity=float(arrays["intensity"]), style=int(arrays["style"]), seed=seed,
                    clip_id=record["id"])
    if weights.shape != arrays["weights"].shape:
        raise ValueError(f"{record['id']}: teacher made {weights.shape[0]} frames, the clip has "
                         f"{arrays['weights'].shape[0]}")
    arrays["weights"] = weights
    write_npz(path, arrays)
    return record["id"]


def _worker(args: tuple[str, dict, int]) -> str:
    corpus, record, seed = args
    return relabel_clip(Path(corpus), record, seed)


def relabel(corpus: Path, records: list[dict], seed: int, workers: int, progress: bool = True) -> dict:
    """Relabel every clip of `records` (manifest rows); returns counts and seconds."""
    from tqdm import tqdm

    t0 = time.time()
    args = [(str(corpus), r, seed) for r in records]
    with tqdm(total=len(args), disable=not progress, unit="clip", desc="data relabel") as bar:
        if workers > 1 and len(args) > 1:
            with mp.get_context("fork").Pool(workers, initializer=single_threaded_worker) as pool:
                for _ in pool.imap_unordered(_worker, args, chunksize=16):
                    bar.update()
        else:
            for a in args:
                _worker(a)
                bar.update()
    return {"clips": len(args), "seconds": round(time.time() - t0, 1)}
