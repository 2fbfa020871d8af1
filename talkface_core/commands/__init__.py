"""One module per `talkface` subcommand (see talkface_core/cli.py)."""
