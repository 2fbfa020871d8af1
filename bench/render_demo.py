"""Render the demo head through the camera and light Create demo head adds: poses set by hand, or
the frames of generated lipsync.

    python bench/render_demo.py OUT_DIR [--engine workbench|eevee|cycles] [--size 512]
                                [--poses rest,vowel,...] [--speak "Mom bought a map." --emotion happy]
                                [--moments]

Without --speak it poses the head by hand (POSES). With --speak it synthesises the sentence with
espeak-ng (which reports exact phoneme times), runs Generate lipsync on the demo head with the
shipped model, and renders the frame in the middle of the first open vowel and of the first
bilabial (m/b/p) of the generated animation. With --moments it speaks two sentences with a pause
between and renders what the layers above the lips do: the face at rest after the speech, the
most and the least emphasised speech frames (brows), the frames around the largest gaze shift,
and the middle of the pause in a happy and in a sad take.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bpy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POSES = {
    "rest": {},
    "vowel": {"jawOpen": 0.6, "mouthLowerDownLeft": 0.3, "mouthLowerDownRight": 0.3,
              "mouthUpperUpLeft": 0.2, "mouthUpperUpRight": 0.2},
    "bilabial": {"jawOpen": 0.1, "mouthClose": 0.1, "mouthPressLeft": 0.5, "mouthPressRight": 0.5},
    "smile": {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.8, "cheekSquintLeft": 0.4,
              "cheekSquintRight": 0.4, "eyeSquintLeft": 0.2, "eyeSquintRight": 0.2, "jawOpen": 0.1},
    "gaze": {"eyeLookOutLeft": 0.8, "eyeLookInRight": 0.8},  # both eyes to the character's left
    "gaze_up": {"eyeLookUpLeft": 0.8, "eyeLookUpRight": 0.8},
    "gaze_down": {"eyeLookDownLeft": 0.8, "eyeLookDownRight": 0.8},
    "blink": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
    "tongue": {"jawOpen": 0.3, "tongueOut": 1.0},
}
ENGINES = {"workbench": "BLENDER_WORKBENCH", "cycles": "CYCLES",
           "eevee": "BLENDER_EEVEE_NEXT" if bpy.app.version < (5, 0) else "BLENDER_EEVEE"}


def setup_render(scene: bpy.types.Scene, engine: str, size: int) -> None:
    scene.render.engine = ENGINES[engine]
    scene.render.resolution_x = scene.render.resolution_y = size
    if engine == "workbench":
        scene.display.shading.light = "STUDIO"
        scene.display.shading.color_type = "MATERIAL"
    elif engine == "eevee":
        scene.eevee.taa_render_samples = 32
    else:
        scene.cycles.samples = 32
        scene.cycles.use_denoising = False
    transforms = [i.identifier
                  for i in scene.view_settings.bl_rna.properties["view_transform"].enum_items]
    scene.view_settings.view_transform = "AgX" if "AgX" in transforms else "Filmic"


def render(scene: bpy.types.Scene, path: Path) -> Path:
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def main() -> None:
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="eevee")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--poses", default=",".join(POSES), help="comma-separated names from POSES")
    parser.add_argument("--speak", help="sentence to synthesise and lipsync")
    parser.add_argument("--emotion", default="neutral")
    parser.add_argument("--moments", action="store_true", help="render the layers above the lips")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from blender_addon import demo_head

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    head = demo_head.create(bpy.context)
    setup_render(scene, args.engine, args.size)
    if args.moments:
        render_moments(scene, head, args)
        return
    if args.speak:
        render_generated(scene, head, args)
        return
    blocks = head.data.shape_keys.key_blocks
    for pose in args.poses.split(","):
        for block in blocks[1:]:
            block.value = POSES[pose].get(block.name, 0.0)
        print(render(scene, args.out / f"{args.engine}_{pose}.png"))


def _clip_on(scene: bpy.types.Scene, head: bpy.types.Object, wav: Path):
    """The add-on registered, `head` its target with its rig detected, and `wav` its one clip at
    frame 1; returns the clip."""
    import blender_addon

    blender_addon.register()
    scene.talkface.target = head
    bpy.ops.talkface.detect_rig()
    bpy.ops.talkface.clip_add(filepath=str(wav))
    clip = scene.talkface.clips[0]
    clip.frame_start = 1
    return clip


def render_generated(scene: bpy.types.Scene, head: bpy.types.Object, args: argparse.Namespace) -> None:
    import soundfile

    from talkface_core.data.espeak import Espeak

    audio, rate, phones = Espeak.get().synth(args.speak)
    wav = args.out / "speech.wav"
    soundfile.write(wav, audio, rate)
    clip = _clip_on(scene, head, wav)
    clip.emotion, clip.intensity = args.emotion, 0.7
    bpy.ops.talkface.generate(scope="SELECTED")
    fps = scene.render.fps / scene.render.fps_base
    picks = {"vowel": next(p for p in phones if p[2].startswith(("a", "A", "O"))),
             "bilabial": next(p for p in phones if p[2] in ("m", "b", "p"))}
    for name, (start, end, phone) in picks.items():
        scene.frame_set(1 + round((start + end) / 2 * fps))
        path = args.out / f"{args.engine}_generated_{name}.png"
        print(render(scene, path), phone, scene.frame_current)


MOMENT_SENTENCES = ("Do you really think we should go there today?",
                    "Maybe the weather will be better by the time we arrive.")
PAUSE_S, TAIL_S = 1.4, 1.2


def _two_sentences(out: Path) -> tuple[Path, float, float]:
    """A wav of both sentences with a pause between; (path, pause start s, speech end s)."""
    import numpy as np
    import soundfile

    from talkface_core.data.espeak import Espeak

    first, rate, _ = Espeak.get().synth(MOMENT_SENTENCES[0])
    second, _, _ = Espeak.get().synth(MOMENT_SENTENCES[1])
    pause, tail = np.zeros(int(PAUSE_S * rate), np.float32), np.zeros(int(TAIL_S * rate), np.float32)
    wav = out / "moments.wav"
    soundfile.write(wav, np.concatenate([first, pause, second, tail]), rate)
    return wav, len(first) / rate, (len(first) + len(pause) + len(second)) / rate


def render_moments(scene: bpy.types.Scene, head: bpy.types.Object, args: argparse.Namespace) -> None:
    import numpy as np

    from talkface_core import generate

    wav, pause_start, speech_end = _two_sentences(args.out)
    clip = _clip_on(scene, head, wav)
    fps = scene.render.fps / scene.render.fps_base
    # The frames are found on the same request the add-on runs (same seed, so the same animation).
    anim = generate(str(wav), emotion="neutral", intensity=0.7, fps=fps)
    t = np.arange(anim.num_frames) / fps
    speaking = ((t > 0.2) & (t < pause_start)) | ((t > pause_start + PAUSE_S + 0.1) & (t < speech_end))
    brow = anim.weights[:, anim.names.index("browInnerUp")]
    speaking &= anim.weights[:, anim.names.index("eyeBlinkLeft")] < 0.1   # lids open: see the brows
    yaw = anim.rotations[:, anim.rotation_names.index("LeftEyeYaw")]
    shift = int(np.argmax(np.abs(np.diff(yaw)) * (t[1:] > 0.3)))
    frames = {"rest_after_speech": round((speech_end + 0.8) * fps),
              "emphasis_peak": int(np.flatnonzero(speaking)[np.argmax(brow[speaking])]),
              "emphasis_least": int(np.flatnonzero(speaking)[np.argmin(brow[speaking])]),
              "gaze_before": max(shift - 3, 0), "gaze_after": min(shift + 4, anim.num_frames - 1)}
    pause_mid = round((pause_start + 0.5 * PAUSE_S) * fps)
    for emotion in ("neutral", "happy", "sad"):
        clip.emotion, clip.intensity = emotion, 0.7
        bpy.ops.talkface.generate(scope="SELECTED")
        shots = frames if emotion == "neutral" else {f"{emotion}_in_pause": pause_mid}
        for name, frame in shots.items():
            scene.frame_set(1 + frame)
            print(render(scene, args.out / f"{args.engine}_{name}.png"), f"frame {1 + frame}",
                  f"t {frame / fps:.2f} s")


if __name__ == "__main__":
    main()
