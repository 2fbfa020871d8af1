"""`talkface` command line. Each subcommand lives in talkface_core/commands/<name>.py and provides
`add_arguments(parser)` and `run(args) -> int`; modules are imported only when their command runs,
so `talkface --help` stays fast and one broken command cannot break the others."""
from __future__ import annotations

import argparse
import importlib
import shlex
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("generate", "audio file -> blendshape animation (json/csv/npz)"),
    "emotions": ("emotions", "the voice's own emotion reading as emotion keys (--emotion's inline form)"),
    "train": ("train", "train the generator on a corpus"),
    "evaluate": ("evaluate", "metrics of a checkpoint on held-out clips, with baselines"),
    "flame-mapping": ("flame_mapping", "ARKit -> FLAME mapping of a FLAME model, with its residuals"),
    "bench": ("bench", "speed and memory benchmark"),
    "data": ("data", "build the training corpus (talkface data build ...)"),
    "build-extension": ("build_extension", "build the installable Blender extension zip"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="talkface", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    # Parse the command name first, then let its module define the rest of the arguments.
    first, _ = parser.parse_known_args(argv[:1] or ["--help"])
    module = importlib.import_module(f"talkface_core.commands.{COMMANDS[first.command][0]}")
    cmd_parser = argparse.ArgumentParser(prog=f"talkface {first.command}",
                                         description=COMMANDS[first.command][1])
    module.add_arguments(cmd_parser)
    args = cmd_parser.parse_args(argv[1:])
    args.command_line = shlex.join(["talkface", *argv])  # recorded by commands that make files
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
