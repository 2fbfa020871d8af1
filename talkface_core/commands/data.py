"""`talkface data build|plot`: build the teacher-labelled corpus; plot a clip's curves."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from . import natural

REPO_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="build (or resume) a corpus")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--sources", default="tts,tts_de,festival,piper,ravdess,emodb",
                   help="comma list of tts (espeak-ng English), tts_de (espeak-ng German), festival, piper, "
                        "ravdess, emodb")
    b.add_argument("--clips", type=int, default=600, help="number of espeak-ng (tts) clips")
    b.add_argument("--german-clips", type=int, default=300, help="number of German espeak-ng (tts_de) clips")
    b.add_argument("--festival-clips", type=int, default=300, help="number of Festival clips")
    b.add_argument("--piper-clips", type=int, default=150, help="number of Piper clips")
    b.add_argument("--seed", type=natural, required=True)
    b.add_argument("--data-dir", type=Path, default=REPO_DATA, help="folder with ravdess/ and emodb/")
    b.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    b.add_argument("--augment", type=int, default=0, metavar="K",
                   help="also write K degraded copies of every clip (noise, reverb, band limit, gain, "
                        "resample round trip, slight speed change with timings scaled)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("plot", help="save a PNG of a clip's teacher curves over its waveform")
    p.add_argument("corpus", type=Path)
    p.add_argument("clip", help="clip id (see manifest.jsonl)")
    p.add_argument("--out", type=Path, required=True, help="PNG path")
    p.add_argument("--curves", default="jawOpen,mouthClose,mouthPucker,mouthSmileLeft,browInnerUp,eyeBlinkLeft")


    c = sub.add_parser("compare",
                       help="teacher and model jawOpen vs MediaPipe ARKit curves of real videos (lag, r)")
    c.add_argument("--talkvid", type=Path, default=REPO_DATA / "talkvid")


def run(args: argparse.Namespace) -> int:
    if args.action == "build":
        from talkface_core.data.build import SOURCES, build
        sources = [s.strip() for s in args.sources.split(",") if s.strip()]
        unknown = set(sources) - set(SOURCES)
        if unknown:
            raise SystemExit(f"unknown sources {sorted(unknown)}; choose from {SOURCES}")
        summary = build(args.out, sources, args.clips, args.seed, args.data_dir, args.workers,
                        progress=not args.quiet, augment=args.augment,
                        n_festival=args.festival_clips, n_piper=args.piper_clips,
                        n_tts_de=args.german_clips)
        print(json.dumps(summary, indent=1))
        return 0
    if args.action == "compare":
        from talkface_core.training.real_video import compare_dir
        rows = compare_dir(args.talkvid)
        for row in rows:
            print(json.dumps(row))
        import numpy as np
        for name in ("teacher", "model", "rms"):
            done = [r for r in rows if f"{name}_r0" in r]   # the teacher needs an alignment
            for key in ("r0", "best_r", "best_lag"):
                values = np.array([r[f"{name}_{key}"] for r in done], dtype=float)
                print(f"{name}_{key}: mean {np.nanmean(values):.3f}, median {np.nanmedian(values):.3f} "
                      f"over {len(done)} of {len(rows)} clips")
        return 0
    from talkface_core.data.plot import plot_clip
    plot_clip(args.corpus, args.clip, args.out, args.curves.split(","))
    print(args.out)
    return 0
