"""Put a clip's Action into the NLA of a shape-key datablock, and its audio into the sequencer.

Every clip owns one NLA track (named after the clip) and one sound strip; both carry the clip's id
so that regenerating replaces exactly them. Actions and tracks talkface did not make are never
touched: the datablock's active action keeps playing on top of the NLA as before.
"""
from __future__ import annotations

import bpy
import numpy as np

from . import compat, keyframes

TAG = "talkface_clip"  # custom property: the clip id on our actions and sound strips
REST = "rest"  # TAG of the rest action (clip ids are hex)
REST_NAME = "TalkFace: rest"


def _our_strips(anim_data, clip_id: str):
    for track in anim_data.nla_tracks:
        for strip in track.strips:
            if strip.action is not None and strip.action.get(TAG) == clip_id:
                yield track, strip


def remove_clip_animation(key: bpy.types.Key, clip_id: str):
    """Remove the clip's strips and their actions; returns the clip's (now empty) track or None."""
    anim_data = key.animation_data
    if anim_data is None:
        return None
    found = list(_our_strips(anim_data, clip_id))
    for track, strip in found:
        action = strip.action
        track.strips.remove(strip)
        if action.users == 0:
            bpy.data.actions.remove(action)
    return found[0][0] if found else None


def place_clip_action(key: bpy.types.Key, action: bpy.types.Action, clip_id: str, track_name: str,
                      frame_start: int, frame_end: int):
    """Replace the clip's previous strip (if any) with `action`, covering frame_start..frame_end."""
    action[TAG] = clip_id
    # An explicit range: a strip made from a fresh layered action would otherwise span 1 frame.
    action.use_frame_range = True
    action.frame_start, action.frame_end = frame_start, max(frame_end, frame_start + 1)
    anim_data = key.animation_data or key.animation_data_create()
    track = remove_clip_animation(key, clip_id)
    if track is None:
        track = anim_data.nla_tracks.new()
    track.name = track_name
    strip = track.strips.new(action.name, int(frame_start), action)
    compat.bind_strip(strip, action)
    # Outside its clip a strip must not hold its first/last pose over the other clips' tracks.
    strip.extrapolation = "NOTHING"
    return strip


def hold_rest(key: bpy.types.Key, data_paths: list[str]) -> None:
    """Where no clip plays, the NLA sets each shape key it animates to the value's default: 0 up
    to 4.5, but 1.0 from 5.0 on, which would show every animated key fully on between clips.
    There a bottom track holds them at 0 (created before the first clip's track, so it stays
    below every clip); a no-op where the default is 0."""
    if compat.SHAPE_KEY_DEFAULT == 0.0:
        return
    anim_data = key.animation_data or key.animation_data_create()
    found = list(_our_strips(anim_data, REST))
    held = {fc.data_path for _, strip in found for fc in compat.action_fcurves(strip.action)}
    if set(data_paths) <= held:
        return
    paths = sorted(held | set(data_paths))
    action = keyframes.write_action(f"TF {REST}", "KEY",
                                    [keyframes.Curve(p, 0, np.zeros(1, np.float32)) for p in paths], 0)
    action[TAG] = REST
    track = remove_clip_animation(key, REST)  # the old rest action, for one holding more keys
    if track is None:
        track = anim_data.nla_tracks.new()
    track.name = REST_NAME
    strip = track.strips.new(action.name, 0, action)
    compat.bind_strip(strip, action)
    strip.extrapolation = "HOLD"  # before and after its one frame: every frame of the scene


CHANNELS = range(1, 129)  # the sequencer's channels


def free_sound_channel(scene: bpy.types.Scene, clip_id: str, first: int, last: int) -> int | None:
    """The lowest sequencer channel with no strip over frames first..last (the clip's own old
    sound strip does not count: it is replaced), or None when all 128 are taken there."""
    taken = {s.channel for s in compat.sequencer_strips(scene) if s.get(TAG) != clip_id
             and s.frame_final_start <= last and s.frame_final_end > first}
    return next((c for c in CHANNELS if c not in taken), None)


def place_clip_sound(scene: bpy.types.Scene, filepath: str, clip_id: str, name: str,
                     frame_start: int, channel: int | None) -> str | None:
    """Replace the clip's sound strip by one at frame_start on `channel` (None: no free channel,
    see free_sound_channel). Returns why the clip has no sound strip now, or None. The animation
    is valid either way; bpy 4.2 from PyPI, for one, cannot load audio at all."""
    strips = compat.sequencer_strips(scene)
    for strip in [s for s in strips if s.get(TAG) == clip_id]:
        strips.remove(strip)  # an old sound at the old place would play out of sync
    if channel is None:
        return f"no free sequencer channel for its sound (all {len(CHANNELS)} are used there)"
    try:
        strip = strips.new_sound(name, filepath, channel, int(frame_start))
    except (RuntimeError, TypeError) as exc:
        return f"Blender could not load the sound ({str(exc).strip()})"
    strip[TAG] = clip_id
    return None


def extend_scene_range(scene: bpy.types.Scene, first: int, last: int) -> None:
    scene.frame_start = min(scene.frame_start, first)
    scene.frame_end = max(scene.frame_end, last)
