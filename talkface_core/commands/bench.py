"""`talkface bench`: speed and memory of generate() on 10 s / 60 s / 600 s of audio.

Each duration runs in a fresh process so peak memory (RSS, and tracemalloc's peak of Python-side
allocations such as numpy arrays) belongs to that run alone. Speeds are reported as real-time
factors and as ratios to baselines timed in the same process: the log-mel feature extraction
alone, the speech encoder alone (Whisper tiny.en in consecutive 30 s windows, when the checkpoint
reads it), the loudness jaw flap, and (on CPU, when PyTorch is installed) the same network run
by PyTorch instead of numpy. The audio is a speech-like synthetic signal (voiced harmonics
gated at a syllable rate): the network's cost does not depend on what is said.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

DEFAULT_DURATIONS = (10.0, 60.0, 600.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--durations", type=float, nargs="+", default=list(DEFAULT_DURATIONS),
                        help="audio lengths in seconds")
    parser.add_argument("--device", default="cpu", help="cpu (numpy), torch-cpu, cuda or auto")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3, help="best of N timings")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Voiced harmonics (100-180 Hz pitch glide) gated at ~4 syllables a second, plus pauses.
    Made in 10 s blocks so building 10 minutes of it does not dominate the peak memory."""
    from ..audio import SAMPLE_RATE

    rng = np.random.default_rng(seed)
    out = np.empty(int(seconds * SAMPLE_RATE), dtype=np.float32)
    block = 10 * SAMPLE_RATE
    for start in range(0, len(out), block):
        t = np.arange(start, min(start + block, len(out))) / SAMPLE_RATE
        # phase = integral of f0(t) = 140 + 40 sin(2 pi 0.3 t), in closed form (no running sum).
        phase = 2 * np.pi * (140 * t - 40 / (2 * np.pi * 0.3) * np.cos(2 * np.pi * 0.3 * t))
        voice = sum(np.sin(k * phase) / k for k in range(1, 12))
        gate = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) * (np.sin(2 * np.pi * 0.2 * t) > -0.6)
        out[start:start + len(t)] = 0.1 * voice * gate + rng.normal(0, 0.01, len(t))
    return out


def _measure(seconds: float, device: str, checkpoint: str | None, repeats: int) -> dict:
    from ..devices import resolve_device, torch_or_none
    from ..pipeline import generate
    from ..training.baselines import jaw_flap
    from ..model.checkpoint import read_state
    from ..model.log_mel import frame_range, log_mel, num_frames
    from ..model.speech_encoders import open_encoder

    device = resolve_device(device)
    samples = speechlike(seconds)
    state, cfg, _ = read_state(checkpoint)
    run = lambda dev: generate(samples, emotion="happy", device=dev, checkpoint=checkpoint)  # noqa: E731
    generate(samples[:16000], device=device, checkpoint=checkpoint)  # load + warm up

    def best(fn) -> float:
        times = []
        for _ in range(max(1, repeats if seconds <= 60 else 1)):
            t0 = time.perf_counter()
            fn()
            if device.startswith("cuda"):
                import torch
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return min(times)

    # generate() first: the peak RSS read right after it is its own (the baselines below hold
    # whole-file spectra and would raise it).
    tracemalloc.start()
    t_gen = best(lambda: run(device))
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_features = best(lambda: log_mel(frame_range(samples, 0, num_frames(len(samples)))))
    mean = np.full(52, 0.05, np.float32)
    t_flap = best(lambda: jaw_flap(samples, mean, 0.5))
    t_encoder = float("nan")
    if cfg.speech_encoder:
        encoder = open_encoder(cfg.speech_encoder, device)
        t_encoder = best(lambda: encoder.whole(samples))
    t_torch = float("nan")
    if device == "cpu" and torch_or_none() is not None:
        generate(samples[:16000], device="torch-cpu", checkpoint=checkpoint)
        t_torch = best(lambda: run("torch-cpu"))
    return {"seconds": seconds, "device": device, "generate_s": t_gen, "rtf": t_gen / seconds,
            "features_s": t_features, "jaw_flap_s": t_flap, "torch_cpu_s": t_torch,
            "encoder_s": t_encoder, "vs_features": t_gen / t_features, "vs_jaw_flap": t_gen / t_flap,
            "vs_encoder": t_gen / t_encoder,
            "vs_torch_cpu": t_gen / t_torch, "audio_mb": samples.nbytes / 2**20,
            "traced_peak_mb": traced_peak / 2**20, "peak_rss_mb": peak_rss,
            "parameters": int(sum(v.size for v in state.values()))}


def _worker(args: tuple) -> dict:
    return _measure(*args)


def run(args: argparse.Namespace) -> int:
    from ..model.checkpoint import default_checkpoint

    ckpt = str(args.checkpoint) if args.checkpoint else None
    ctx = mp.get_context("spawn")
    rows = []
    for seconds in args.durations:
        with ctx.Pool(1) as pool:
            rows.append(pool.apply(_worker, ((seconds, args.device, ckpt, args.repeats),)))
    path = Path(ckpt) if ckpt else default_checkpoint()
    size_mb = path.with_suffix(".safetensors").stat().st_size / 2**20
    print(f"checkpoint {path.name}: {size_mb:.2f} MB, {rows[0]['parameters']:,} parameters; "
          f"device {rows[0]['device']}, {os.cpu_count()} CPUs\n")
    print("| audio s | generate s | RTF | x features-only | x encoder-only | x jaw flap | x torch-cpu | "
          "peak RSS MB | traced peak MB | audio MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seconds']:g} | {r['generate_s']:.3f} | {r['rtf']:.4f} | {r['vs_features']:.1f} | "
              f"{r['vs_encoder']:.2f} | {r['vs_jaw_flap']:.1f} | {r['vs_torch_cpu']:.2f} | "
              f"{r['peak_rss_mb']:.0f} | "
              f"{r['traced_peak_mb']:.1f} | {r['audio_mb']:.1f} |")
    if args.json:
        args.json.write_text(json.dumps({"checkpoint_mb": size_mb, "rows": rows}, indent=1) + "\n")
    return 0
