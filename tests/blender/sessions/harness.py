"""Runs inside a Blender session process: arguments in, installed add-on, results out."""
from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import bpy

ADDON = "bl_ext.user_default.talkface"
ARGS: dict = json.loads(sys.argv[-1])
RESULTS: dict = {}


def install(zip_path: str) -> None:
    """Install the zip the way Preferences > Install from Disk does, and enable it."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                             enable_on_install=True)
    RESULTS["enabled"] = ADDON in bpy.context.preferences.addons


def blender_has_audio(wav: str) -> bool:
    """Probe, without talkface: can this Blender build add a sound strip? (bpy 4.2 from PyPI can't.)"""
    scene = bpy.data.scenes.new("audio probe")
    editor = scene.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    try:
        strips.new_sound("probe", wav, 1, 1)
        return True
    except (RuntimeError, TypeError):
        return False
    finally:
        bpy.data.scenes.remove(scene)


def addon_module(name: str):
    import importlib

    return importlib.import_module(f"{ADDON}.blender_addon.{name}")


def step(name: str):
    """Decorator: run a step, record its error (with traceback) instead of stopping the session."""
    def wrap(fn):
        try:
            RESULTS[name] = fn()
        except Exception:  # noqa: BLE001 - the pytest side reports it
            RESULTS[name] = {"error": traceback.format_exc()}
        return fn
    return wrap


def bone_turn_degrees(armature: bpy.types.Object, bone: str) -> float:
    """How far a pose bone is turned from its rest (degrees, whatever the axes): the same in a
    rig and in its FBX round trip, which may re-orient bones and the world."""
    import numpy as np

    m = np.array(armature.pose.bones[bone].matrix_basis.to_3x3())
    return float(np.degrees(np.arccos(np.clip((np.trace(m) - 1) / 2, -1.0, 1.0))))


def _plain(value):
    return value.tolist() if hasattr(value, "tolist") else float(value)


def finish() -> None:
    Path(ARGS["out"]).write_text(json.dumps(RESULTS, default=_plain))
