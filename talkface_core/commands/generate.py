"""`talkface generate AUDIO -o OUT.{json,csv,npz}`: one audio file -> animation file.

Every option and the output path are checked before any audio is read or model loaded, so a typo
costs a moment, not a whole generation; the file is written atomically."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..emotions import AUTO, EMOTIONS


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    """--device, --checkpoint, --speech-encoder: which network runs where (also `talkface emotions`)."""
    parser.add_argument("--device", default="auto",
                        help="auto (a CUDA GPU if PyTorch sees one, else cpu), cpu (numpy, no PyTorch "
                             "needed), torch-cpu or cuda[:N]")
    parser.add_argument("--checkpoint", type=Path, default=None, help="checkpoint (.safetensors)")
    parser.add_argument("--speech-encoder", type=Path, default=None, metavar="FOLDER",
                        help="local wav2vec2/HuBERT/WavLM folder, for a checkpoint trained with one")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", type=Path, help="speech recording (wav, flac, ogg, mp3)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="output file: .json (talkface), .csv (Live Link Face) or .npz")
    parser.add_argument("--emotion", default=None, metavar="EMOTION | KEYS",
                        help=f"expression to animate: {', '.join(EMOTIONS)}, '{AUTO}' (read from the voice; "
                             "default neutral), or keys EMOTION:INTENSITY@SECONDS separated by spaces, "
                             "e.g. 'neutral:0.3@0 happy:0.8@1.5 0.6happy+0.4surprise:0.6@3'")
    parser.add_argument("--emotion-track", type=Path, default=None, metavar="FILE",
                        help="emotion keys from a .json or .csv track file (see README)")
    parser.add_argument("--transition", type=float, default=None, metavar="SECONDS",
                        help="easing time between emotion keys (default 0.3, or the track file's)")
    parser.add_argument("--intensity", type=float, default=0.5,
                        help="0 (neutral face) .. 1, for a named emotion or auto")
    parser.add_argument("--style", type=int, default=0, help="speaking style id (0 = generic)")
    parser.add_argument("--fps", type=float, default=24.0, help="frame rate of the output (1-240)")
    parser.add_argument("--smoothing", type=float, default=0.0, help="0 (off) .. 1")
    parser.add_argument("--no-blinks", action="store_true", help="do not add natural blinks")
    parser.add_argument("--blink-rate", type=float, default=26.0,
                        help="blinks a minute (26: in conversation, 17: at rest; 0-60)")
    parser.add_argument("--blink-amount", type=float, default=1.0,
                        help="how far the lids close in a blink (0-1)")
    parser.add_argument("--gaze", type=float, default=1.0,
                        help="eye movement: saccades, looking away and back (0 = still eyes, 1 = "
                             "natural, up to 2)")
    parser.add_argument("--head-motion", type=float, default=1.0,
                        help="head nods and turns from the voice (0 = still head, 1 = natural, up to 2)")
    parser.add_argument("--upper-face", type=float, default=1.0,
                        help="brow raises on accents, cheeks with smiles, the jaw's sideways drift "
                             "(0 = off, 1 = natural, up to 2)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of gaze, blinks and head postures (mixed with a hash of the audio, "
                             "so each recording moves its own way)")
    add_device_arguments(parser)
    parser.add_argument("--output-space", default="arkit52", choices=("arkit52", "flame"))
    parser.add_argument("--flame-model", type=Path, default=None, help="FLAME model (output-space flame)")
    parser.add_argument("--flame-landmarks", type=Path, default=None,
                        help="FLAME landmark embedding file (e.g. landmark_embedding.npy), if the "
                             "model holds none and none lies next to it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _emotion(args: argparse.Namespace):
    """--emotion or --emotion-track, with --transition applied to keys: a name, "auto", or an
    EmotionTimeline (bad keys are refused by the request with a message naming the key)."""
    from dataclasses import replace

    from ..emotion_timeline import looks_inline, parse_inline, read_track
    from ..request import RequestError

    if args.emotion_track is not None:
        if args.emotion is not None:
            raise RequestError("give --emotion or --emotion-track, not both")
        return read_track(args.emotion_track, args.transition)
    emotion = "neutral" if args.emotion is None else args.emotion
    if args.transition is None:
        return emotion
    if not looks_inline(emotion):
        raise RequestError("--transition eases between emotion keys: give keys in --emotion or "
                           "--emotion-track")
    return replace(parse_inline(emotion), transition_s=args.transition)


def _request(args: argparse.Namespace):
    from ..request import ARKIT, FlameOutput, GenerationRequest, RequestError

    if args.output_space == "flame" and args.flame_model is None:
        raise RequestError("--output-space flame needs --flame-model FILE")
    if args.output_space != "flame" and (args.flame_model or args.flame_landmarks):
        raise RequestError("--flame-model / --flame-landmarks need --output-space flame")
    output = FlameOutput(args.flame_model, args.flame_landmarks) if args.flame_model else ARKIT
    return GenerationRequest(
        emotion=_emotion(args), intensity=args.intensity, style=args.style, fps=args.fps,
        smoothing=args.smoothing, blinks=not args.no_blinks, seed=args.seed, device=args.device,
        checkpoint=args.checkpoint, speech_encoder=args.speech_encoder, output=output,
        gaze=args.gaze, head_motion=args.head_motion, upper_face=args.upper_face,
        blink_rate=args.blink_rate, blink_amount=args.blink_amount)


def check_output_path(path: Path, *, flame: bool) -> None:
    """ValueError unless `path` can take the animation: a known format for this output, in an
    existing writable folder, not a folder itself."""
    from ..animation.files import check_suffix

    suffix = check_suffix(path)
    if suffix == ".csv" and flame:
        raise ValueError("Live Link Face CSV holds ARKit blendshapes only: write FLAME output "
                         "as .json or .npz")
    if path.is_dir():
        raise ValueError(f"output {path} is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"output folder {folder} is not writable")


def run(args: argparse.Namespace) -> int:
    def fail(message: str) -> int:
        print(f"talkface generate: error: {message}", file=sys.stderr)
        return 2

    try:
        request = _request(args)
        check_output_path(args.output, flame=request.flame is not None)
        if not args.audio.is_file():
            raise ValueError(f"audio file not found: {args.audio}")
    except ValueError as exc:
        return fail(str(exc))

    from tqdm import tqdm

    from ..pipeline import generate

    bar = tqdm(total=1, desc="generating", unit="window", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        anim = generate(args.audio, request, progress=progress)
        anim.save(args.output)
    except KeyboardInterrupt:
        return fail("interrupted; nothing was written")
    except OSError as exc:
        return fail(f"could not write {args.output}: {exc.strerror or exc}")
    except (ValueError, ImportError) as exc:   # AudioError, CheckpointError, FlameError, ... and
        return fail(str(exc))                  # SpeechEncoderError (an ImportError) all say what is wrong
    finally:
        bar.close()
    if not args.quiet:
        print(f"wrote {args.output}: {anim.num_frames} frames at {anim.fps:g} fps, "
              f"{len(anim.names)} channels, {anim.duration:.2f} s")
    return 0
