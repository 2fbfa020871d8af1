"""From a clip's settings in the panel to the GenerationRequest the worker runs."""
from __future__ import annotations

import os

import bpy

from talkface_core.request import ARKIT, GenerationRequest

from . import emotion_keys, flame_rig
from .job import ClipRequest


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def clip_request(clip, scene: bpy.types.Scene, device: str, mesh: bpy.types.Object) -> ClipRequest:
    """The request for one clip onto `mesh` (FLAME output for a FLAME rig); ValueError with a
    readable message for a clip that cannot work."""
    path = bpy.path.abspath(clip.filepath)
    if not clip.filepath or not os.path.isfile(path):
        raise ValueError(f'Clip "{clip.name}": audio file not found: {path or "(none chosen)"}')
    if clip.frame_start < 0:  # only a file saved before the property had its minimum holds one
        raise ValueError(f'Clip "{clip.name}": start frame {clip.frame_start} is before frame 0, '
                         "where the scene's frame range must start: set it to 0 or later")
    fps = scene_fps(scene)
    # Keys: the clip's own list, frames from its start -> seconds into its audio.
    emotion = emotion_keys.clip_timeline(clip, fps) if clip.use_emotion_keys else clip.emotion
    try:
        request = GenerationRequest(
            emotion=emotion, intensity=clip.intensity, style=clip.style, fps=fps,
            device=device, smoothing=clip.smoothing, blinks=clip.blink,
            output=flame_rig.flame_output(mesh) or ARKIT, blink_rate=clip.blink_rate,
            blink_amount=clip.blink_amount, gaze=clip.gaze, head_motion=clip.head_motion,
            upper_face=clip.upper_face, seed=clip.seed)
    except ValueError as exc:
        raise ValueError(f'Clip "{clip.name}": {exc}') from None
    return ClipRequest(clip_id=clip.ensure_uid(), label=clip.name, audio=path, request=request)
