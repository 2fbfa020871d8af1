"""The Blender API differences talkface meets, in one place.

- 4.2/4.3: an Action holds its F-Curves directly (action.fcurves).
- 4.4+: layered Actions: slots, layers, keyframe strips and channelbags; action.fcurves still
  works in 4.4/4.5 as a legacy view, and is gone in 5.0. NLA strips name the slot they play.
- 5.0: the sequencer's `sequences` collection is `strips`; properties registered with bpy.props
  are kept apart from custom properties (obj["name"] no longer reads or writes them); a shape
  key's value defaults to 1.0 (0.0 before): new keys start there, and so does every key the NLA
  animates at frames where no strip plays (see placement.hold_rest).
"""
from __future__ import annotations

import bpy

LAYERED_ACTIONS = hasattr(bpy.types, "ActionSlot")
SHAPE_KEY_DEFAULT: float = bpy.types.ShapeKey.bl_rna.properties["value"].default


def new_fcurves(action: bpy.types.Action, id_type: str, slot_name: str):
    """The F-Curve collection new curves go into (fresh action, one slot of `id_type`)."""
    if not LAYERED_ACTIONS:
        return action.fcurves
    slot = action.slots.new(id_type=id_type, name=slot_name)
    layer = action.layers.new("Layer")
    strip = layer.strips.new(type="KEYFRAME")
    return strip.channelbag(slot, ensure=True).fcurves


def action_fcurves(action: bpy.types.Action) -> list:
    """All F-Curves of an action, on every Blender version."""
    if not LAYERED_ACTIONS:
        return list(action.fcurves)
    return [fc for layer in action.layers for strip in layer.strips
            for bag in strip.channelbags for fc in bag.fcurves]


def bind_strip(nla_strip, action: bpy.types.Action) -> None:
    """Make an NLA strip play the action's (only) slot; 4.4+ needs it, older versions have none."""
    if LAYERED_ACTIONS and action.slots:
        nla_strip.action_slot = action.slots[0]


def sequencer_strips(scene: bpy.types.Scene):
    """The top-level sequencer strip collection (created if the scene has no sequencer yet)."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def stored_string(obj: bpy.types.ID, name: str) -> str:
    """A string property registered on obj's type as bpy.props (what the panel edits) or, when
    that is empty, the custom property of the same name (which is the same storage before 5.0,
    and what heads made by earlier talkface versions carry on 5.0)."""
    return getattr(obj, name, "") or obj.get(name, "")
