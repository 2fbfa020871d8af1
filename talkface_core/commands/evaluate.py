"""`talkface evaluate --data CORPUS --ckpt CKPT [CKPT...]`: held-out metrics with baselines.
`talkface evaluate --realism DIR [--ckpt ...]`: how alive each checkpoint's faces are against the
real faces of DIR (training/realism.py)."""
from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--data", type=Path, help="corpus folder (manifest.jsonl)")
    what.add_argument("--realism", type=Path, metavar="DIR",
                      help="real talking clips (NAME.flac + NAME.npz of MediaPipe ARKit curves, "
                           "e.g. ../shared/data/talkvid): statistics of real faces vs each checkpoint")
    parser.add_argument("--ckpt", type=Path, nargs="+", default=None,
                        help="checkpoint(s) to compare (default: the shipped one; with --realism, "
                             "the shipped and the research one)")
    parser.add_argument("--max-clips", type=int, default=0, help="evaluate a seeded sample of clips")
    parser.add_argument("--per-source", type=int, default=0,
                        help="evaluate a seeded sample of at most this many clips from each source")
    parser.add_argument("--contrast-clips", type=int, default=2,
                        help="clips per group on which happy/sad/neutral and intensity are compared")
    parser.add_argument("--speech-encoder", type=Path, default=None, metavar="FOLDER",
                        help="the local model folder a checkpoint trained with --speech-encoder reads")
    parser.add_argument("--behaviour", action="store_true",
                        help="instead: how the delivered face behaves on held-out takes (lips at rest "
                             "in pauses, left/right symmetry, emotion held through pauses, blinks)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_realism(args: argparse.Namespace) -> int:
    from ..model.checkpoint import default_checkpoint
    from ..training.realism import checkpoint_face, format_table, realism, save_json, teacher_face

    ckpts = args.ckpt or [default_checkpoint(), default_checkpoint().parent / "research"
                          / "talkface_research_nc.safetensors"]
    missing = [str(c) for c in ckpts if not Path(c).is_file()]
    if missing:
        raise SystemExit(f"talkface evaluate: error: checkpoint not found: {', '.join(missing)}")
    faces = {Path(c).stem: checkpoint_face(Path(c)) for c in ckpts}
    if importlib.util.find_spec("pocketsphinx") is not None:   # it hears the words to align
        faces = {"teacher": teacher_face()} | faces
    else:
        print("(no teacher row: it needs pocketsphinx, pip install 'talkface[data]')")
    show = None if args.quiet else (lambda what: print(f"  {what}", flush=True))
    try:
        rows = realism(args.realism, faces, progress=show)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"talkface evaluate: error: {exc}") from None
    print(format_table(rows))
    if args.json:
        save_json(rows, args.json)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.realism is not None:
        return run_realism(args)
    from ..training.evaluation import beats_baselines, evaluate, format_table, save_json
    from ..model.checkpoint import default_checkpoint

    ckpts = args.ckpt or [default_checkpoint()]
    if args.behaviour:
        return _behaviour(args, ckpts)
    results = evaluate(args.data, ckpts, max_clips=args.max_clips, per_source=args.per_source,
                       contrast_clips=args.contrast_clips,
                       speech_encoder=str(args.speech_encoder) if args.speech_encoder else None,
                       show_progress=not args.quiet)
    print(format_table(results))
    for ckpt in ckpts:
        verdict = beats_baselines(results, Path(ckpt).stem)
        print(f"\n{Path(ckpt).stem} beats both baselines on every lip metric: "
              + ", ".join(f"{g}: {'yes' if ok else 'NO'}" for g, ok in verdict.items()))
    if args.json:
        save_json(results, args.json)
    return 0


def _behaviour(args: argparse.Namespace, ckpts: list[Path]) -> int:
    import json

    from ..training.face_behaviour import face_behaviour, format_behaviour

    results = {Path(c).stem: face_behaviour(args.data, c, per_source=args.per_source or 3,
                                            show_progress=not args.quiet) for c in ckpts}
    print("\n".join(format_behaviour(name, r) for name, r in results.items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0
