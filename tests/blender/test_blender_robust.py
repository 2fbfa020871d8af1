"""What a user can throw at the add-on (issue 15, items 6 and 7), each scenario in a fresh headless
Blender with a real scene and, where generating matters, the real engine on espeak-ng speech: a
failing clip among good ones, a full sequencer, an armature without a pose, the target replaced
or a clip removed mid-job, rigs that match nothing, negative start frames, clip_add without a
file, clips added without moving the playhead, and the words of the reports. Each bad case must
get a clear message and leave the scene as it was (or, where the animation is kept, say so)."""
from __future__ import annotations

import re
import textwrap
import pytest

from fixtures.blender import require_bpy, run_inline
from fixtures.speech import espeak

_PRELUDE = """
import math
import soundfile
from blender_addon import apply, compat, flame_rig, placement
from fixtures.generate_driver import Driver
from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_NAMES
ctx = bpy.context

def rig(name="Head", keys=ARKIT_NAMES):
    # A mesh with the given shape keys (at rest), made the scene's target.
    bpy.ops.mesh.primitive_cube_add()
    obj = ctx.active_object
    obj.name = obj.data.name = name
    obj.shape_key_add(name="Basis")
    obj.data.shape_keys.name = name
    for key in keys:
        obj.shape_key_add(name=key).value = 0.0
    scene.talkface.target = obj
    return obj

def add_clip(name, path, start):
    clip = scene.talkface.clips.add()
    clip.name, clip.filepath, clip.frame_start = name, path, start
    clip.ensure_uid()
    return clip

def run_op(op, *args, **kwargs):
    # bpy.ops raises an operator's ERROR report as RuntimeError.
    try:
        return dict(state=sorted(op(*args, **kwargs)), error=None)
    except RuntimeError as exc:
        return dict(state=None, error=str(exc))

def snapshot():
    # Everything talkface could write: actions, NLA tracks of every datablock, sound strips, range.
    owners = list(bpy.data.shape_keys) + list(bpy.data.objects)
    return dict(actions=sorted(a.name for a in bpy.data.actions),
                tracks=sorted(f"{o.name}/{t.name}" for o in owners if o.animation_data
                              for t in o.animation_data.nla_tracks),
                sounds=sorted((s.name, s.channel, s.frame_start) for s in compat.sequencer_strips(scene)
                              if s.type == "SOUND"),
                range=[scene.frame_start, scene.frame_end],
                clips=[(c.name, c.frame_start) for c in scene.talkface.clips])

def frames(path):
    info = soundfile.info(path)
    return math.ceil(info.frames / info.samplerate * 24)
"""


@pytest.fixture(scope="module")
def audio(tmp_path_factory) -> dict[str, str]:
    """A short real utterance, a file that is not audio, and a path that does not exist."""
    require_bpy()
    folder = tmp_path_factory.mktemp("robust")
    good = espeak(folder / "hello.wav", "Hello Bob.")
    bad = folder / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEthis is not audio at all" * 4)
    return dict(GOOD=str(good), BAD=str(bad), MISSING=str(folder / "missing.wav"))


def _session(audio: dict[str, str], script: str) -> dict:
    constants = "".join(f"{k} = {v!r}\n" for k, v in audio.items())
    return run_inline(constants + textwrap.dedent(_PRELUDE) + textwrap.dedent(script), timeout=240)


def _reports(result: dict) -> list[str]:
    """The operator reports headless Blender printed ("Info: ...", "Warning: ...", "Error: ...")."""
    return [ln for ln in result["_output"].splitlines() if re.match(r"(Info|Warning|Error): ", ln)]


def test_one_unreadable_clip_does_not_discard_the_good_ones(audio) -> None:
    result = _session(audio, """
        rig()
        add_clip("one", GOOD, 1)
        add_clip("bad", BAD, 100)
        add_clip("two", GOOD, 200)
        RESULT["all"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT", scope="ALL")
        RESULT["after"] = snapshot()
        # Only the bad clip: it fails alone, as an error, and changes nothing.
        scene.talkface.clip_index = 1
        RESULT["bad_alone"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT", scope="SELECTED")
        RESULT["after_bad"] = snapshot()
    """)
    assert result["all"] == dict(state=["FINISHED"], error=None)
    tracks = [t for t in result["after"]["tracks"] if not t.endswith("rest")]
    assert tracks == ["Head/TalkFace: one", "Head/TalkFace: two"]
    assert "TF one" in result["after"]["actions"] and "TF two" in result["after"]["actions"]
    assert not any("bad" in a for a in result["after"]["actions"])
    lines = _reports(result)
    failed = [ln for ln in lines if ln.startswith('Warning: Clip "bad"')]
    assert len(failed) == 1 and "broken.wav" in failed[0]  # one line, saying which file
    assert "Info: Generated 2 of 3 clips on Head" in lines
    assert result["bad_alone"]["state"] is None and 'Clip "bad"' in result["bad_alone"]["error"]
    assert result["after_bad"] == result["after"]


def test_a_full_sequencer_keeps_the_animation_and_says_there_is_no_sound(audio) -> None:
    result = _session(audio, """
        head = rig()
        clip = add_clip("line", GOOD, 10)
        strips = compat.sequencer_strips(scene)
        def color(channel, first, last):
            try:  # 4.2-4.5: frame_end; 5.0: length
                return strips.new_effect(f"c{channel}", "COLOR", channel, first, frame_end=last + 1)
            except TypeError:
                return strips.new_effect(f"c{channel}", "COLOR", channel, first, length=last + 1 - first)
        for channel in range(1, 129):
            color(channel, 1, 300)
        RESULT["op"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT")
        RESULT["after"] = snapshot()
        RESULT["strips"] = len(strips)
        # Channels used only at other frames do not count as taken.
        for strip in [s for s in strips if s.channel <= 3]:
            strips.remove(strip)
        for channel in (1, 2, 3):
            color(channel, 400, 500)
        RESULT["free_elsewhere"] = placement.free_sound_channel(scene, clip.uid, 10, 50)
        RESULT["free_at_400"] = placement.free_sound_channel(scene, clip.uid, 400, 450)
    """)
    assert result["op"] == dict(state=["FINISHED"], error=None)  # no StopIteration
    assert "Head/TalkFace: line" in result["after"]["tracks"] and "TF line" in result["after"]["actions"]
    assert result["after"]["sounds"] == [] and result["strips"] == 128
    assert ('Warning: Clip "line" is animated, without sound: no free sequencer channel for its '
            "sound (all 128 are used there)") in _reports(result)
    assert result["free_elsewhere"] == 1 and result["free_at_400"] == 4


def test_an_armature_without_a_pose_yet_is_handled(audio, tmp_path) -> None:
    model = tmp_path / "generic_model.npz"
    result = _session(audio, f"""
        from blender_addon import flame_head, head_rig
        from fixtures.flame_synthetic import write_synthetic_flame
        from talkface_core.flame.mapping import arkit_to_flame
        from talkface_core.flame.model import load_flame
        model = load_flame(write_synthetic_flame({str(model)!r}))
        head = flame_head.create(ctx, model)
        built = head.parent
        # A new armature object on the same bones, never evaluated: its pose is None.
        fresh = bpy.data.objects.new("fresh rig", built.data)
        scene.collection.objects.link(fresh)
        head.parent = fresh
        bpy.data.objects.remove(built)
        RESULT["pose_was_none"] = fresh.pose is None
        RESULT["is_flame"] = flame_rig.is_flame_rig(head)
        scene.talkface.target = fresh
        RESULT["detect"] = run_op(bpy.ops.talkface.detect_rig)
        weights = np.zeros((12, 52), np.float32)
        weights[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0.0, 1.0, 12)
        clip = add_clip("line", GOOD, 1)
        apply.apply_result(scene, head, clip, arkit_to_flame(Animation(ARKIT_NAMES, 24.0, weights), model))
        scene.frame_set(12)
        RESULT["jaw"] = fresh.pose.bones["jaw"].rotation_euler[0]
        # An ARKit head parented to a pose-less armature (no jaw) is simply not a FLAME rig.
        cube = rig("Cube")
        plain = bpy.data.objects.new("plain rig", bpy.data.armatures.new("plain rig"))
        scene.collection.objects.link(plain)
        cube.parent = plain
        RESULT["cube"] = [plain.pose is None, flame_rig.is_flame_rig(cube)]
        # An armature outside the scene gets its pose through the head it deforms...
        lone = bpy.data.objects.new("lone rig", fresh.data)
        head.parent = lone
        RESULT["lone_output"] = flame_rig.flame_output(head) is not None and lone.pose is not None
        # ...but with the head out of the view layer too, nothing builds one: a clear error,
        # before generating.
        scene.collection.objects.unlink(head)
        orphan = bpy.data.objects.new("orphan rig", fresh.data)
        head.parent = orphan
        try:
            flame_rig.flame_output(head)
        except ValueError as exc:
            RESULT["orphan"] = str(exc)
    """)
    assert result["pose_was_none"] and result["is_flame"]
    assert result["detect"] == dict(state=["FINISHED"], error=None)
    assert result["jaw"] > 0.3
    assert result["cube"] == [True, False]
    assert result["lone_output"]
    assert result["orphan"].startswith('Armature "orphan rig" has no pose')


def test_target_replaced_or_removed_mid_job_is_not_animated(audio) -> None:
    result = _session(audio, """
        for case in ("replaced", "removed"):
            head = rig("Head")
            add_clip("line", GOOD, 1)
            driver = Driver()
            assert driver._prepare(ctx), driver.reports
            bpy.data.objects.remove(head)  # the user deletes the head while it generates...
            if case == "replaced":
                impostor = rig("Head")  # ...and makes another with the very same name
            driver._job.run_here()
            RESULT[case] = dict(state=sorted(driver._finish(ctx)), reports=driver.reports,
                                after=snapshot())
            if case == "replaced":
                bpy.data.objects.remove(impostor)
            scene.talkface.clips.clear()
    """)
    replaced, removed = result["replaced"], result["removed"]
    assert replaced["state"] == ["CANCELLED"]
    assert replaced["reports"] == [["ERROR", '"Head" was replaced by another object while '
                                             "generating: nothing was applied"]]
    assert replaced["after"]["actions"] == [] and replaced["after"]["tracks"] == []
    assert removed["reports"] == [["ERROR", '"Head" was removed while generating: nothing was applied']]


def test_a_clip_removed_mid_job_is_not_counted(audio) -> None:
    result = _session(audio, """
        rig()
        add_clip("kept", GOOD, 1)
        add_clip("dropped", GOOD, 100)
        driver = Driver(scope="ALL")
        assert driver._prepare(ctx), driver.reports
        scene.talkface.clips.remove(1)
        driver._job.run_here()
        RESULT.update(state=sorted(driver._finish(ctx)), reports=driver.reports, after=snapshot())
    """)
    assert result["state"] == ["FINISHED"]
    reports = [r for r in result["reports"] if "without sound" not in r[1]]  # bpy 4.2: no audio
    assert reports == [
        ["WARNING", 'Clip "dropped" was removed from the list while generating: not applied'],
        ["INFO", "Generated 1 of 2 clips on Head"]]
    assert [t for t in result["after"]["tracks"] if not t.endswith("rest")] == ["Head/TalkFace: kept"]


def test_a_rig_matching_no_channel_is_refused_before_generating(audio) -> None:
    result = _session(audio, """
        rig(keys=["Key 1", "Key 2", "Happy"])
        add_clip("line", GOOD, 1)
        before = snapshot()
        RESULT["op"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT")
        RESULT["unchanged"] = snapshot() == before
        RESULT["map"] = len(scene.talkface.target.talkface_map)
        # A stored mapping whose keys were all renamed since is refused the same way.
        head = rig("Renamed")
        bpy.ops.talkface.detect_rig()
        for block in head.data.shape_keys.key_blocks[1:]:
            block.name = "old " + block.name
        RESULT["renamed"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT")
    """)
    assert result["op"]["state"] is None
    assert 'No shape key of "Head" matches a channel' in result["op"]["error"]
    assert result["unchanged"] and result["map"] == 0
    assert 'No shape key of "Renamed" matches a channel' in result["renamed"]["error"]


def test_negative_start_frames(audio) -> None:
    result = _session(audio, """
        rig()
        clip = add_clip("early", GOOD, 1)
        clip.frame_start = -50
        RESULT["set"] = clip.frame_start
        clip["frame_start"] = -50  # what a file saved before the property had its minimum holds
        RESULT["stored"] = clip.frame_start
        before = snapshot()
        RESULT["op"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT")
        RESULT["unchanged"] = snapshot() == before
    """)
    assert result["set"] == 0  # the property cannot go below the scene's first possible frame
    assert result["stored"] == -50
    assert result["op"]["state"] is None and "start frame -50 is before frame 0" in result["op"]["error"]
    assert result["unchanged"]


def test_clip_add_refuses_no_file_and_lines_clips_up(audio) -> None:
    result = _session(audio, """
        rig()
        refused = {}
        for case, path in (("none", ""), ("missing", MISSING), ("not audio", BAD)):
            refused[case] = run_op(bpy.ops.talkface.clip_add, filepath=path)
        RESULT["refused"] = refused
        RESULT["clips_after_refusals"] = len(scene.talkface.clips)
        scene.frame_current = 1
        for _ in range(3):  # without moving the playhead
            bpy.ops.talkface.clip_add(filepath=GOOD)
        scene.frame_current = 500  # a free stretch: the clip goes at the playhead
        bpy.ops.talkface.clip_add(filepath=GOOD)
        scene.frame_current = 2  # inside the first clip: the first free stretch after it
        bpy.ops.talkface.clip_add(filepath=GOOD)
        RESULT["clips"] = [(c.name, c.frame_start) for c in scene.talkface.clips]
        RESULT["length"] = frames(GOOD)
        head = scene.talkface.target
        for clip in scene.talkface.clips:
            weights = np.full((frames(GOOD), 52), 0.2, np.float32)
            apply.apply_result(scene, head, clip, Animation(ARKIT_NAMES, 24.0, weights))
        RESULT["tracks"] = [t.name for t in head.data.shape_keys.animation_data.nla_tracks]
    """)
    for case, outcome in result["refused"].items():
        assert outcome["state"] is None, case
    assert "Choose an audio file" in result["refused"]["none"]["error"]
    assert "missing.wav" in result["refused"]["missing"]["error"]
    assert "cannot read" in result["refused"]["not audio"]["error"]
    assert result["clips_after_refusals"] == 0
    n = result["length"]
    assert result["clips"] == [["hello", 1], ["hello.001", 1 + n], ["hello.002", 1 + 2 * n],
                               ["hello.003", 500], ["hello.004", 1 + 3 * n]]
    clip_tracks = [t for t in result["tracks"] if t != "TalkFace: rest"]
    assert len(clip_tracks) == 5 and len(set(clip_tracks)) == 5


def test_report_words(audio) -> None:
    result = _session(audio, """
        rig(keys=[n for n in ARKIT_NAMES if n != "tongueOut"])
        RESULT["detect"] = run_op(bpy.ops.talkface.detect_rig)
        add_clip("a", GOOD, 1)
        add_clip("b", GOOD, 100)
        RESULT["op"] = run_op(bpy.ops.talkface.generate, "EXEC_DEFAULT", scope="ALL")
        # An armature with no mesh under it is named as such.
        rig_only = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
        scene.collection.objects.link(rig_only)
        scene.talkface.target = rig_only
        RESULT["armature"] = run_op(bpy.ops.talkface.detect_rig)
    """)
    lines = _reports(result)
    assert "Info: Mapped 51 of 52 channels" in lines
    assert "Warning: 1 channel with no shape key will be skipped: tongueOut" in lines
    skipped = [ln for ln in lines if "skipped (" in ln]
    assert skipped == ['Warning: 1 channel with no shape key skipped (clips "a", "b"): tongueOut']
    assert "Info: Generated 2 clips on Head" in lines
    assert ('Armature "Rig" has no mesh child: parent the head mesh to it, or pick the head mesh '
            "itself as the target") in result["armature"]["error"]
