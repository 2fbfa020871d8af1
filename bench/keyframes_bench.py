"""Keyframing speed: talkface's bulk writer vs a keyframe_insert loop, same run, same data.

    python bench/keyframes_bench.py [--frames 3600] [--audio SPEECH.wav]

Prints seconds for each and their ratio (52 channels x frames keys). With --audio it also times
the Generate lipsync operator end to end (button to keys; model loading included on first use)
for that file on the demo head.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import bpy
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from blender_addon import keyframes, shape_key_match  # noqa: E402
from talkface_core.blendshapes import ARKIT_NAMES  # noqa: E402


def head() -> bpy.types.Object:
    bpy.ops.mesh.primitive_cube_add()
    obj = bpy.context.object
    obj.shape_key_add(name="Basis")
    for name in ARKIT_NAMES:
        obj.shape_key_add(name=name)
    return obj


def insert_loop(key: bpy.types.Key, weights: np.ndarray) -> None:
    """The naive way: one keyframe_insert per channel per frame."""
    blocks = [key.key_blocks[n] for n in ARKIT_NAMES]
    for frame, row in enumerate(weights, start=1):
        for block, value in zip(blocks, row):
            block.value = float(value)
            block.keyframe_insert("value", frame=frame)


def time_writers(frames: int) -> dict[str, float]:
    weights = np.random.default_rng(0).random((frames, 52), dtype=np.float32)
    mapping = shape_key_match.match(ARKIT_NAMES, ARKIT_NAMES)
    obj = head()
    t0 = time.perf_counter()
    curves = keyframes.shape_key_curves(obj.data.shape_keys, ARKIT_NAMES, weights, mapping)
    keyframes.write_action("bulk", "KEY", curves, 1)
    bulk = time.perf_counter() - t0
    obj = head()
    t0 = time.perf_counter()
    insert_loop(obj.data.shape_keys, weights)
    loop = time.perf_counter() - t0
    return {"bulk_s": bulk, "keyframe_insert_s": loop, "ratio": loop / bulk}


def time_button_to_keys(audio: Path) -> dict[str, float]:
    """Generate lipsync on the demo head through the registered operator (add-on from the repo)."""
    import blender_addon

    blender_addon.register()
    bpy.ops.talkface.demo_head()
    bpy.ops.talkface.clip_add(filepath=str(audio))
    t0 = time.perf_counter()
    bpy.ops.talkface.generate(scope="SELECTED")
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    bpy.ops.talkface.generate(scope="SELECTED")  # model already loaded
    again = time.perf_counter() - t0
    return {"first_s": first, "warm_s": again}


def main() -> None:
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=3600)
    parser.add_argument("--audio", type=Path)
    args = parser.parse_args(argv)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = time_writers(args.frames)
    print(f"keyframes 52 x {args.frames}: bulk {result['bulk_s']:.3f} s, keyframe_insert loop "
          f"{result['keyframe_insert_s']:.2f} s, ratio {result['ratio']:.0f}x")
    if args.audio:
        e2e = time_button_to_keys(args.audio)
        import soundfile

        seconds = soundfile.info(str(args.audio)).duration
        print(f"button to keys for {seconds:.1f} s of audio: {e2e['first_s']:.2f} s (cold), "
              f"{e2e['warm_s']:.2f} s (warm)")


if __name__ == "__main__":
    main()
