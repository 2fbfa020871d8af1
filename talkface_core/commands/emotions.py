"""`talkface emotions AUDIO`: the voice's own emotion reading, printed as keys in the inline form
(`--emotion` takes them as they are), optionally written as a track file to edit."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .generate import add_device_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..voice_reading import DEFAULT_MAX_KEYS, DEFAULT_MIN_SEGMENT_S

    parser.add_argument("audio", type=Path, help="speech recording (wav, flac, ogg, mp3)")
    parser.add_argument("--max-keys", type=int, default=DEFAULT_MAX_KEYS,
                        help=f"at most this many keys (default {DEFAULT_MAX_KEYS})")
    parser.add_argument("--min-segment", type=float, default=DEFAULT_MIN_SEGMENT_S, metavar="SECONDS",
                        help=f"shortest stretch of one emotion (default {DEFAULT_MIN_SEGMENT_S:g} s)")
    parser.add_argument("--arousal", action="store_true",
                        help="intensity follows the voice's loudness and pitch range (default: how "
                             "clearly the voice reads as that emotion)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="also write the keys as a track file (.json or .csv) for --emotion-track")
    add_device_arguments(parser)


def run(args: argparse.Namespace) -> int:
    def fail(message: str) -> int:
        print(f"talkface emotions: error: {message}", file=sys.stderr)
        return 2

    from ..request import GenerationRequest

    try:
        if args.max_keys < 1:   # the same rule as voice_reading.check_options, in the flags' names
            raise ValueError(f"--max-keys must be at least 1, got {args.max_keys}")
        if not 0 <= args.min_segment < float("inf"):
            raise ValueError(f"--min-segment must be 0 or more seconds, got {args.min_segment:g}")
        if args.output is not None:
            from ..emotion_timeline import TRACK_SUFFIXES

            if args.output.suffix.lower() not in TRACK_SUFFIXES or not args.output.parent.is_dir():
                raise ValueError(f"--output must be a .json or .csv file in an existing folder, "
                                 f"got {args.output}")
        if not args.audio.is_file():
            raise ValueError(f"audio file not found: {args.audio}")
        request = GenerationRequest(device=args.device, checkpoint=args.checkpoint,
                                    speech_encoder=args.speech_encoder)
    except ValueError as exc:
        return fail(str(exc))

    from ..emotion_timeline import write_track
    from ..pipeline import read_emotion

    try:
        timeline = read_emotion(args.audio, request, max_keys=args.max_keys,
                                min_segment_s=args.min_segment, follow_arousal=args.arousal)
        if args.output is not None:
            write_track(timeline, args.output)
    except KeyboardInterrupt:
        return fail("interrupted; nothing was written")
    except OSError as exc:
        return fail(f"could not write {args.output}: {exc.strerror or exc}")
    except (ValueError, ImportError) as exc:
        return fail(str(exc))
    print(timeline.inline())
    return 0
