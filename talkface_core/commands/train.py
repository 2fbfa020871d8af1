"""`talkface train --data CORPUS --out CKPT`: train the generator (resumable, seeded)."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import natural


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training.config import FRONT_ENDS, TrainConfig

    d = TrainConfig.__dataclass_fields__
    parser.add_argument("--data", type=Path, required=True, help="corpus folder (manifest.jsonl)")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint path (NAME.safetensors)")
    parser.add_argument("--steps", type=int, default=d["steps"].default)
    parser.add_argument("--batch", type=int, default=d["batch"].default)
    parser.add_argument("--lr", type=float, default=d["lr"].default)
    parser.add_argument("--seed", type=natural, default=d["seed"].default)
    parser.add_argument("--hidden", type=int, default=d["hidden"].default, help="network width")
    parser.add_argument("--max-clips", type=int, default=0, help="use only this many clips (smoke runs)")
    parser.add_argument("--research", action="store_true",
                        help="also train on non-commercial/research-only clips (RAVDESS, EmoDB); "
                             "the checkpoint is then marked non-commercial")
    parser.add_argument("--front-end", choices=FRONT_ENDS, default=d["front_end"].default,
                        help="network input: log-mel plus the Whisper tiny.en encoder (shipped), "
                             "or log-mel alone (no speech-encoder packages needed)")
    parser.add_argument("--speech-encoder", type=Path, default=None, metavar="FOLDER",
                        help="a local wav2vec2/HuBERT/WavLM model folder (transformers) to read in "
                             "Whisper's place; never downloaded. generate then needs the same folder")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (AMP bf16 on cuda)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT's training state")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads (0 = torch's default; 1 is fastest on a busy shared machine)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..training.config import TrainConfig
    from ..training.loop import train

    if args.threads:
        torch.set_num_threads(args.threads)

    cfg = TrainConfig(data=str(args.data), out=str(args.out), steps=args.steps, batch=args.batch,
                      lr=args.lr, seed=args.seed, hidden=args.hidden, max_clips=args.max_clips,
                      research=args.research, device=args.device,
                      front_end=args.front_end, speech_encoder=str(args.speech_encoder or ""))
    path = train(cfg, resume=args.resume, show_progress=not args.quiet, command=args.command_line)
    print(f"wrote {path} and {path.with_suffix('.json')}")
    return 0
