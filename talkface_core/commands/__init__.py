"""One module per `talkface` subcommand (see talkface_core/cli.py)."""
from __future__ import annotations

import argparse


def natural(text: str) -> int:
    """argparse type of a whole number >= 0: argparse names the option in the error, where a
    negative seed reaching numpy only said "expected non-negative integer", minutes later."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value
