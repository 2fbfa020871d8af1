"""Cancelling Generate lipsync, headless. Blender has no event loop here, so the modal operator's
own methods are driven directly (prepare, begin, modal with fake ESC/TIMER events, Blender's
cancel callback) with a stand-in generator: a cancelled run must leave the scene as it was (no
action, NLA track or sound strip, progress bar down) and the undo history intact."""
from __future__ import annotations

import textwrap

import pytest

from fixtures.blender import require_bpy, run_inline

_SCRIPT = """
import time, types
import talkface_core
from blender_addon import compat
from fixtures.generate_driver import Driver
RESULT["rest"] = ["TalkFace: rest"] if compat.SHAPE_KEY_DEFAULT != 0.0 else []  # see hold_rest
from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_NAMES

SLOW = {"on": True}

def fake_generate(audio, request, *, progress=None, cancel=None):
    # Stands in for the network: windows of work, polling cancel() between them like run_windows.
    windows = 400 if SLOW["on"] else 1
    for i in range(windows):
        if cancel():
            raise RuntimeError("generation cancelled")
        progress(i + 1, windows)
        if SLOW["on"]:
            time.sleep(0.01)
    return Animation(ARKIT_NAMES, request.fps, np.full((24, 52), 0.5, np.float32))

talkface_core.generate = fake_generate
ESC = types.SimpleNamespace(type="ESC", value="PRESS")
TIMER = types.SimpleNamespace(type="TIMER", value="NOTHING")
ctx = bpy.context
wm = ctx.window_manager

def snapshot():
    ad = head.data.shape_keys.animation_data
    editor = scene.sequence_editor
    strips = [] if editor is None else (editor.strips if hasattr(editor, "strips") else editor.sequences)
    return dict(actions=sorted(a.name for a in bpy.data.actions),
                tracks=[t.name for t in ad.nla_tracks] if ad else [],
                sounds=[s.name for s in strips], range=[scene.frame_start, scene.frame_end],
                running=wm.talkface_progress.running)

def run_until_done(driver):
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline:
        state = driver.modal(ctx, TIMER)
        if state != {"RUNNING_MODAL"}:
            return sorted(state)
        time.sleep(0.02)
    return ["TIMEOUT"]

def started():
    driver = Driver()
    assert driver._prepare(ctx), driver.messages
    driver._begin(ctx)
    return driver

bpy.ops.talkface.demo_head()
head = scene.talkface.target
clip = scene.talkface.clips.add()
clip.name, clip.filepath, clip.frame_start = "line", WAV, 10
clip.ensure_uid()
scene.frame_current = 7
bpy.ops.ed.undo_push(message="frame 7")
scene.frame_current = 8
bpy.ops.ed.undo_push(message="frame 8")
RESULT["before"] = snapshot()

# Esc in the middle of a clip.
driver = started()
deadline = time.perf_counter() + 10
while driver._job.progress[0] <= 0.05 and time.perf_counter() < deadline:
    time.sleep(0.01)
RESULT["running_while_busy"] = wm.talkface_progress.running
RESULT["esc_state"] = sorted(driver.modal(ctx, ESC))
t0 = time.perf_counter()
RESULT["mid"] = dict(state=run_until_done(driver), latency=time.perf_counter() - t0,
                     reports=driver.messages,
                     timer_removed=driver._timer is None, after=snapshot())

# Esc after the worker finished but before the next timer tick: Esc still wins.
SLOW["on"] = False
driver = started()
driver._job.join(10)
driver.modal(ctx, ESC)
RESULT["late"] = dict(worker_had_results=len(driver._job.results), state=run_until_done(driver),
                      reports=driver.messages, after=snapshot())

# Blender ends the modal operator itself (e.g. a file is loaded): its cancel callback.
SLOW["on"] = True
driver = started()
driver.cancel(ctx)
driver._job.join(10)
RESULT["aborted"] = dict(cancelled=driver._job.cancelled, results=len(driver._job.results),
                         timer_removed=driver._timer is None, after=snapshot())

# Undo history: the cancels pushed no step and broke nothing; undo goes back to frame 7.
bpy.ops.ed.undo()
scene = bpy.context.scene
RESULT["undo_frame"] = scene.frame_current
RESULT["clips_after_undo"] = [c.name for c in scene.talkface.clips]
bpy.ops.ed.redo()
scene = bpy.context.scene
head = scene.talkface.target
RESULT["redo_frame"] = scene.frame_current

# Control: the same path without Esc does write the clip (so "unchanged" above means something).
SLOW["on"] = False
driver = started()
RESULT["control"] = dict(state=run_until_done(driver), after=snapshot())
"""


@pytest.fixture(scope="module")
def result(speech_wav) -> dict:
    require_bpy()
    return run_inline(f"WAV = {str(speech_wav)!r}\n" + textwrap.dedent(_SCRIPT))


def test_esc_mid_generation_changes_nothing(result: dict) -> None:
    mid = result["mid"]
    assert result["running_while_busy"] and result["esc_state"] == ["RUNNING_MODAL"]
    assert mid["state"] == ["CANCELLED"] and mid["latency"] < 2.0
    assert mid["reports"] == ["Generation cancelled: nothing was changed"]
    assert mid["timer_removed"]
    assert mid["after"] == result["before"]  # same actions, tracks, sounds, range; bar down


def test_esc_after_the_worker_finished_still_cancels(result: dict) -> None:
    late = result["late"]
    assert late["worker_had_results"] == 1
    assert late["state"] == ["CANCELLED"] and late["after"] == result["before"]


def test_blender_aborting_the_operator_stops_the_worker(result: dict) -> None:
    aborted = result["aborted"]
    assert aborted["cancelled"] and aborted["results"] == 0 and aborted["timer_removed"]
    assert aborted["after"] == result["before"]  # includes running=False: Generate usable again


def test_undo_history_intact_after_cancel(result: dict) -> None:
    assert result["undo_frame"] == 7 and result["redo_frame"] == 8
    assert result["clips_after_undo"] == ["line"]


def test_control_run_without_esc_writes_the_clip(result: dict) -> None:
    control = result["control"]
    assert control["state"] == ["FINISHED"]
    assert control["after"]["tracks"] == [*result["rest"], "TalkFace: line"]
    assert "TF line" in control["after"]["actions"]
