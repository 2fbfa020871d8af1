"""Render the demo head (Cycles, CPU) at a vowel and at a bilabial.

    python bench/render_demo.py OUT_DIR [--size 512] [--speak "Mom bought a map." --emotion happy]

Without --speak it poses the head by hand (neutral, vowel "ah", bilabial "m", happy). With --speak
it synthesises the sentence with espeak-ng (which reports exact phoneme times), runs Generate
lipsync on the demo head with the shipped model, and renders the frame in the middle of the first
open vowel and of the first bilabial (m/b/p) of the generated animation.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bpy
from mathutils import Vector

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POSES = {
    "neutral": {},
    "vowel": {"jawOpen": 0.7, "mouthLowerDownLeft": 0.3, "mouthLowerDownRight": 0.3,
              "mouthUpperUpLeft": 0.2, "mouthUpperUpRight": 0.2},
    "bilabial": {"jawOpen": 0.08, "mouthClose": 0.1, "mouthPressLeft": 0.6,
                 "mouthPressRight": 0.6, "mouthRollLower": 0.2},
    "happy": {"mouthSmileLeft": 0.9, "mouthSmileRight": 0.9, "cheekSquintLeft": 0.5,
              "cheekSquintRight": 0.5, "jawOpen": 0.2, "eyeSquintLeft": 0.3, "eyeSquintRight": 0.3},
}


def setup_render(scene: bpy.types.Scene, target: bpy.types.Object, size: int = 512) -> None:
    """A 3/4 portrait camera on the face, three area lights, Cycles with few samples (CPU)."""
    co = [target.matrix_world @ v.co for v in target.data.vertices]
    top = max(v.z for v in co)
    face = [v for v in co if v.y < -0.05 and v.z > top - 0.28]   # the face, without the neck
    chin = min(v.z for v in face)
    height = top - chin
    centre = Vector((0.0, sum(v.y for v in face) / len(face) * 0.3, chin + height * 0.48))
    cam_data = bpy.data.cameras.new("TalkFace camera")
    cam_data.lens = 85
    cam = bpy.data.objects.new("TalkFace camera", cam_data)
    scene.collection.objects.link(cam)
    distance = height * 4.6
    cam.location = centre + Vector((0.32, -1.0, 0.08)).normalized() * distance
    cam.rotation_euler = (centre - cam.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    for name, loc, energy, size_ in (("key", (-0.5, -0.8, 0.6), 9, 0.4), ("fill", (0.8, -0.6, 0.0), 3, 0.6),
                                     ("rim", (0.4, 0.8, 0.6), 8, 0.3)):
        light = bpy.data.lights.new(f"TalkFace {name}", "AREA")
        light.energy, light.size = energy, size_
        obj = bpy.data.objects.new(light.name, light)
        obj.location = centre + Vector(loc).normalized() * 0.8
        obj.rotation_euler = (centre - obj.location).to_track_quat("-Z", "Y").to_euler()
        scene.collection.objects.link(obj)
    world = scene.world or bpy.data.worlds.new("TalkFace world")
    scene.world = world
    world.color = (0.02, 0.022, 0.028)
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 32
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = size
    transforms = [i.identifier for i in scene.view_settings.bl_rna.properties["view_transform"].enum_items]
    scene.view_settings.view_transform = "AgX" if "AgX" in transforms else "Filmic"


def render(scene: bpy.types.Scene, path: Path) -> Path:
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


def main() -> None:
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--speak", help="sentence to synthesise and lipsync")
    parser.add_argument("--emotion", default="neutral")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from blender_addon import demo_head

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    head = demo_head.create(bpy.context)
    setup_render(scene, head, args.size)
    if args.speak:
        render_generated(scene, args)
        return
    blocks = head.data.shape_keys.key_blocks
    for pose, values in POSES.items():
        for block in blocks[1:]:
            block.value = values.get(block.name, 0.0)
        print(render(scene, args.out / f"demo_{pose}.png"))


def render_generated(scene: bpy.types.Scene, args: argparse.Namespace) -> None:
    import soundfile

    import blender_addon
    from talkface_core.data.espeak import Espeak

    audio, rate, phones = Espeak.get().synth(args.speak)
    wav = args.out / "speech.wav"
    soundfile.write(wav, audio, rate)
    blender_addon.register()
    scene.talkface.target = bpy.data.objects["TalkFace Head"]
    bpy.ops.talkface.detect_rig()
    bpy.ops.talkface.clip_add(filepath=str(wav))
    clip = scene.talkface.clips[0]
    clip.frame_start, clip.emotion, clip.intensity = 1, args.emotion, 0.7
    bpy.ops.talkface.generate(scope="SELECTED")
    fps = scene.render.fps / scene.render.fps_base
    picks = {"vowel": next(p for p in phones if p[2].startswith(("a", "A", "O"))),
             "bilabial": next(p for p in phones if p[2] in ("m", "b", "p"))}
    for name, (start, end, phone) in picks.items():
        scene.frame_set(1 + round((start + end) / 2 * fps))
        print(render(scene, args.out / f"generated_{name}.png"), phone, scene.frame_current)


if __name__ == "__main__":
    main()
