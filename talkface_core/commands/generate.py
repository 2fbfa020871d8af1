"""`talkface generate AUDIO -o OUT.{json,csv,npz}`: one audio file -> animation file."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..blendshapes import EMOTIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", type=Path, help="speech recording (wav, flac, ogg, mp3)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="output file: .json (talkface), .csv (Live Link Face) or .npz")
    parser.add_argument("--emotion", default="neutral", choices=(*EMOTIONS, "auto"),
                        help="expression to animate; 'auto' reads it from the voice")
    parser.add_argument("--intensity", type=float, default=0.5, help="0 (neutral face) .. 1")
    parser.add_argument("--style", type=int, default=0, help="speaking style id (0 = generic)")
    parser.add_argument("--fps", type=float, default=24.0, help="frame rate of the output")
    parser.add_argument("--smoothing", type=float, default=0.0, help="0 (off) .. 1")
    parser.add_argument("--no-blinks", action="store_true", help="do not add natural blinks")
    parser.add_argument("--seed", type=int, default=0, help="seed of the blink timing")
    parser.add_argument("--device", default="auto",
                        help="auto (a CUDA GPU if PyTorch sees one, else cpu), cpu (numpy, no PyTorch "
                             "needed), torch-cpu or cuda[:N]")
    parser.add_argument("--checkpoint", type=Path, default=None, help="checkpoint (.safetensors)")
    parser.add_argument("--speech-encoder", type=Path, default=None, metavar="FOLDER",
                        help="local wav2vec2/HuBERT/WavLM folder, for a checkpoint trained with one")
    parser.add_argument("--output-space", default="arkit52", choices=("arkit52", "flame"))
    parser.add_argument("--flame-model", type=Path, default=None, help="FLAME model (output-space flame)")
    parser.add_argument("--flame-landmarks", type=Path, default=None,
                        help="FLAME landmark embedding file (e.g. landmark_embedding.npy), if the "
                             "model holds none and none lies next to it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..animation import AnimationError
    from ..audio import AudioError
    from ..inference import CheckpointError, generate
    from ..model.speech_stream import SpeechEncoderError

    def fail(message: str) -> int:
        print(f"talkface generate: error: {message}", file=sys.stderr)
        return 2

    if args.output_space == "flame" and args.flame_model is None:
        return fail("--output-space flame needs --flame-model FILE")
    flame_files = args.flame_model is not None or args.flame_landmarks is not None
    if args.output_space != "flame" and flame_files:
        return fail("--flame-model / --flame-landmarks need --output-space flame")

    bar = tqdm(total=1, desc="generating", unit="window", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        anim = generate(args.audio, emotion=args.emotion, intensity=args.intensity, style=args.style,
                        fps=args.fps, device=args.device, checkpoint=args.checkpoint,
                        speech_encoder=args.speech_encoder,
                        output_space=args.output_space, flame_model=args.flame_model,
                        flame_landmarks=args.flame_landmarks, smoothing=args.smoothing,
                        blinks=not args.no_blinks, progress=progress, seed=args.seed)
        anim.save(args.output)
    except (AudioError, AnimationError, CheckpointError, SpeechEncoderError, ValueError) as exc:
        bar.close()
        return fail(str(exc))
    bar.close()
    if not args.quiet:
        print(f"wrote {args.output}: {anim.num_frames} frames at {anim.fps:g} fps, "
              f"{len(anim.names)} channels, {anim.duration:.2f} s")
    return 0
