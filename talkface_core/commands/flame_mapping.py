"""`talkface flame-mapping MODEL`: compute (or read from its cache) the ARKit -> FLAME mapping of a
model and print how well FLAME's expression space holds each ARKit shape."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="FLAME model file (.pkl or .npz)")
    parser.add_argument("--landmarks", type=Path, help="landmark embedding file, if not next to the model")
    parser.add_argument("--no-cache", action="store_true", help="recompute even if cached")


def run(args: argparse.Namespace) -> int:
    from ..flame.mapping import mapping_for
    from ..flame.model import FlameError

    try:
        mapping = mapping_for(args.model, args.landmarks, use_cache=not args.no_cache)
    except FlameError as exc:
        print(f"talkface flame-mapping: error: {exc}", file=sys.stderr)
        return 2
    print(mapping.table())
    return 0
