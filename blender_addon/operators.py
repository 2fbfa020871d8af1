"""Operators: Detect rig, clip list editing, Generate lipsync (modal), Create demo head, Export FBX."""
from __future__ import annotations

import sys
from pathlib import Path

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from talkface_core.blendshapes import ARKIT_NAMES

from . import (apply, clip_layout, clip_requests, demo_head, emotion_keys, fbx_export, flame_rig,
               head_rig, properties, reports)
from .job import Job


def _settings(context):
    return context.scene.talkface


def _target_mesh(op: bpy.types.Operator, context) -> bpy.types.Object | None:
    """The scene's target head mesh, or None after reporting what is wrong with it (the caller
    then cancels)."""
    try:
        return head_rig.check_target(_settings(context).target)
    except ValueError as exc:
        op.report({"ERROR"}, str(exc))
        return None


def _report_mapping(op, mapped: int, unmapped: list[str], total: int) -> None:
    op.report({"INFO"}, f"Mapped {mapped} of {reports.plural(total, 'channel')}")
    if unmapped:
        op.report({"WARNING"}, f"{reports.plural(len(unmapped), 'channel')} with no shape key "
                               f"will be skipped: {reports.listed(unmapped)}")


def _remove_active(owner, collection: str, index: str) -> None:
    """Remove owner.<collection>[owner.<index>] and keep the index on an item."""
    items = getattr(owner, collection)
    items.remove(getattr(owner, index))
    setattr(owner, index, max(0, min(getattr(owner, index), len(items) - 1)))


class TALKFACE_OT_detect_rig(bpy.types.Operator):
    """Match the 52 ARKit channels to the target's shape keys by name (a FLAME rig is recognised
    as such: its expression keys and jaw are driven directly)"""
    bl_idname = "talkface.detect_rig"
    bl_label = "Detect rig"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return _settings(context).target is not None

    def execute(self, context):
        mesh = _target_mesh(self, context)
        if mesh is None:
            return {"CANCELLED"}
        if flame_rig.is_flame_rig(mesh):
            # FLAME output keys Exp000.. and the jaw by name: an ARKit mapping would go unused.
            mesh.talkface_map.clear()
            self.report({"INFO"}, flame_rig.describe(mesh))
            if not flame_rig.model_path(mesh):
                self.report({"WARNING"}, "Choose its FLAME model file (TalkFace > FLAME > Model "
                                         "file) before generating")
            return {"FINISHED"}
        mapped, unmapped = head_rig.detect(mesh, mesh, ARKIT_NAMES)
        _report_mapping(self, mapped, unmapped, len(ARKIT_NAMES))
        return {"FINISHED"}


class TALKFACE_OT_clip_add(bpy.types.Operator, ImportHelper):
    """Add a clip: an audio file placed at the current frame, or after the clips already there"""
    bl_idname = "talkface.clip_add"
    bl_label = "Add clip"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default="*.wav;*.flac;*.ogg;*.mp3", options={"HIDDEN"})

    def execute(self, context):
        settings = _settings(context)
        path = bpy.path.abspath(self.filepath) if self.filepath else ""
        if not path or not Path(path).is_file():
            self.report({"ERROR"}, f"Choose an audio file for the clip ({path or 'none chosen'} "
                                   "is not a file)")
            return {"CANCELLED"}
        fps = clip_requests.scene_fps(context.scene)
        try:
            length = clip_layout.audio_frames(path, fps)
        except ValueError as exc:
            self.report({"ERROR"}, f"Clip not added: {exc}")
            return {"CANCELLED"}
        spans = [(c.frame_start, c.frame_start + _clip_frames(c, fps) - 1) for c in settings.clips]
        clip = settings.clips.add()
        clip.name = clip_layout.unique_name(Path(path).stem, {c.name for c in settings.clips})
        clip.filepath = self.filepath
        clip.frame_start = clip_layout.free_start(context.scene.frame_current, length, spans)
        clip.ensure_uid()
        settings.clip_index = len(settings.clips) - 1
        return {"FINISHED"}


def _clip_frames(clip, fps: float) -> int:
    """A listed clip's length in frames (1 when its audio cannot be read: it still has a start)."""
    try:
        return clip_layout.audio_frames(bpy.path.abspath(clip.filepath), fps)
    except ValueError:
        return 1


class TALKFACE_OT_clip_remove(bpy.types.Operator):
    """Remove the active clip from the list (its animation stays in the NLA)"""
    bl_idname = "talkface.clip_remove"
    bl_label = "Remove clip"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return len(_settings(context).clips) > 0

    def execute(self, context):
        _remove_active(_settings(context), "clips", "clip_index")
        return {"FINISHED"}


class TALKFACE_OT_clip_move(bpy.types.Operator):
    """Move the active clip up or down the list"""
    bl_idname = "talkface.clip_move"
    bl_label = "Move clip"
    bl_options = {"REGISTER", "UNDO"}

    direction: EnumProperty(items=[("UP", "Up", ""), ("DOWN", "Down", "")])

    @classmethod
    def poll(cls, context):
        return len(_settings(context).clips) > 1

    def execute(self, context):
        settings = _settings(context)
        new = settings.clip_index + (-1 if self.direction == "UP" else 1)
        if 0 <= new < len(settings.clips):
            settings.clips.move(settings.clip_index, new)
            settings.clip_index = new
        return {"FINISHED"}


def _active_clip(context):
    settings = _settings(context)
    if 0 <= settings.clip_index < len(settings.clips):
        return settings.clips[settings.clip_index]
    return None


def _device(context) -> str:
    prefs = properties.preferences(context)
    return prefs.device if prefs else "auto"


class TALKFACE_OT_emotion_key_add(bpy.types.Operator):
    """Add an emotion key to the active clip at the playhead (it starts as the emotion in effect there)"""
    bl_idname = "talkface.emotion_key_add"
    bl_label = "Add key at playhead"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return _active_clip(context) is not None

    def execute(self, context):
        clip = _active_clip(context)
        offset = context.scene.frame_current - clip.frame_start
        if offset < 0:
            self.report({"ERROR"}, f'The playhead is before clip "{clip.name}" (it starts at frame '
                                   f"{clip.frame_start})")
            return {"CANCELLED"}
        keys = emotion_keys.sorted_keys(clip)
        same = next((i for i, k in enumerate(clip.emotion_keys) if k.frame == offset), None)
        if same is not None:
            clip.emotion_key_index = same
            self.report({"INFO"}, f"Frame {context.scene.frame_current} already has a key")
            return {"CANCELLED"}
        before = [k for k in keys if k.frame < offset]
        key = clip.emotion_keys.add()
        key.frame = offset
        if before:   # the new key holds what the face shows there; the animator then edits it
            for name in ("emotion", "blend_with", "blend", "intensity"):
                setattr(key, name, getattr(before[-1], name))
        else:
            key.emotion = clip.emotion if clip.emotion != "auto" else "neutral"
            key.intensity = clip.intensity
        # Keep the list in time order: it reads as the timeline.
        position = len(before)
        clip.emotion_keys.move(len(clip.emotion_keys) - 1, position)
        clip.emotion_key_index = position
        clip.use_emotion_keys = True
        return {"FINISHED"}


class TALKFACE_OT_emotion_key_remove(bpy.types.Operator):
    """Remove the active emotion key of the active clip"""
    bl_idname = "talkface.emotion_key_remove"
    bl_label = "Remove emotion key"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        clip = _active_clip(context)
        return clip is not None and len(clip.emotion_keys) > 0

    def execute(self, context):
        _remove_active(_active_clip(context), "emotion_keys", "emotion_key_index")
        return {"FINISHED"}


class TALKFACE_OT_emotion_read(bpy.types.Operator):
    """Fill the active clip's emotion keys with the voice's own reading (replaces its keys; undo
    brings them back)"""
    bl_idname = "talkface.emotion_read"
    bl_label = "Read from voice"
    bl_options = {"REGISTER", "UNDO"}

    max_keys: IntProperty(name="Max keys", min=1, max=32, default=4,
                          description="At most this many keys")
    min_segment: FloatProperty(name="Shortest stretch", min=0.0, max=30.0, default=1.0,
                               unit="TIME_ABSOLUTE", description="Seconds one emotion lasts at least")
    follow_arousal: BoolProperty(name="Intensity from arousal", default=False,
                                 description="Intensity follows the voice's loudness and pitch range "
                                             "(off: how clearly the voice reads as that emotion)")

    @classmethod
    def poll(cls, context):
        return _active_clip(context) is not None and not context.window_manager.talkface_progress.running

    def execute(self, context):
        from talkface_core.pipeline import read_emotion
        from talkface_core.request import GenerationRequest

        clip = _active_clip(context)
        path = bpy.path.abspath(clip.filepath)
        try:
            timeline = read_emotion(path, GenerationRequest(device=_device(context)),
                                    max_keys=self.max_keys, min_segment_s=self.min_segment,
                                    follow_arousal=self.follow_arousal)
        except (ValueError, ImportError, OSError) as exc:
            self.report({"ERROR"}, f'Clip "{clip.name}": {exc}')
            return {"CANCELLED"}
        fps = clip_requests.scene_fps(context.scene)
        emotion_keys.set_keys(clip, timeline, fps)
        clip.use_emotion_keys = True
        self.report({"INFO"}, f'{clip.name}: {len(timeline.keys)} key(s) read from the voice: '
                              f"{emotion_keys.summary(clip)}")
        return {"FINISHED"}


class TALKFACE_OT_generate(bpy.types.Operator):
    """Generate facial animation from the clip audio (Esc cancels)"""
    bl_idname = "talkface.generate"
    bl_label = "Generate lipsync"
    bl_options = {"REGISTER", "UNDO"}

    scope: EnumProperty(name="Clips", items=[("SELECTED", "Selected clip", ""),
                                             ("ALL", "All clips", "")], default="SELECTED")

    _job: Job | None = None
    _timer = None

    @classmethod
    def poll(cls, context):
        return len(_settings(context).clips) > 0 and not context.window_manager.talkface_progress.running

    def _prepare(self, context) -> bool:
        """Check the target and every clip and build the job; False after reporting why not
        (nothing has been changed then)."""
        settings = _settings(context)
        prefs = properties.preferences(context)
        extra = bpy.path.abspath(prefs.packages_path) if prefs and prefs.packages_path else ""
        if extra and extra not in sys.path:  # the user's own PyTorch, for GPU generation
            sys.path.append(extra)
        device = prefs.device if prefs else "auto"
        clips = (list(settings.clips) if self.scope == "ALL"
                 else [settings.clips[settings.clip_index]])
        mesh = _target_mesh(self, context)
        if mesh is None:
            return False
        try:
            if not flame_rig.is_flame_rig(mesh):
                head_rig.check_channels(mesh, ARKIT_NAMES)
            requests = [clip_requests.clip_request(c, context.scene, device, mesh) for c in clips]
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return False
        # The object itself, not its name: a new object given the same name mid-job is not it.
        self._mesh_uid, self._mesh_name = mesh.session_uid, mesh.name
        self._job = Job(requests)
        return True

    def execute(self, context):
        if not self._prepare(context):
            return {"CANCELLED"}
        self._job.run_here()
        return self._finish(context)

    def invoke(self, context, _event):
        if not self._prepare(context):
            return {"CANCELLED"}
        self._begin(context)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _begin(self, context) -> None:
        """Progress bar and timer up, worker started (the modal part of invoke)."""
        wm = context.window_manager
        wm.talkface_progress.running = True
        wm.talkface_progress.factor = 0.0
        wm.progress_begin(0, 1000)
        self._timer = wm.event_timer_add(0.1, window=context.window)
        self._job.start()

    def _end(self, context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        wm.talkface_progress.running = False

    def modal(self, context, event):
        if event.type == "ESC":
            self._job.cancel()
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        fraction, label = self._job.progress
        wm = context.window_manager
        wm.talkface_progress.factor = fraction
        wm.talkface_progress.text = label
        wm.progress_update(int(fraction * 1000))
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        if not self._job.done:
            return {"RUNNING_MODAL"}
        self._end(context)
        return self._finish(context)

    def cancel(self, context) -> None:
        """Blender ends the modal operator itself (a file is loaded, the window closes): stop the
        worker and take the progress bar down, or Generate would stay disabled."""
        self._job.cancel()
        self._end(context)

    def _finish(self, context):
        job = self._job
        # Esc wins even when the worker finished between the key press and the next timer tick.
        if job.cancelled or job.cancel_requested:
            self.report({"WARNING"}, "Generation cancelled: nothing was changed")
            return {"CANCELLED"}
        if job.error:
            self.report({"ERROR"}, job.error)
            return {"CANCELLED"}
        mesh = self._generated_mesh()
        if mesh is None:
            return {"CANCELLED"}
        by_id = {c.uid: c for c in _settings(context).clips}
        failures = [f'Clip "{request.label}": {message}' for request, message in job.errors]
        skipped: dict[str, list[str]] = {}
        applied_clips = 0
        for request, anim in job.results:
            clip = by_id.get(request.clip_id)
            if clip is None:
                failures.append(f'Clip "{request.label}" was removed from the list while '
                                "generating: not applied")
                continue
            try:
                applied = apply.apply_result(context.scene, mesh, clip, anim, request.audio)
            except (ValueError, RuntimeError) as exc:  # this clip's scene is left as it was
                failures.append(f'Clip "{clip.name}": {exc}')
                continue
            applied_clips += 1
            skipped[clip.name] = applied.skipped
            if applied.no_sound:
                self.report({"WARNING"}, f'Clip "{clip.name}" is animated, without sound: '
                                         f"{applied.no_sound}")
        # An ERROR report makes bpy.ops raise: kept for when nothing at all was applied.
        level = {"WARNING"} if applied_clips else {"ERROR"}
        for line in failures:
            self.report(level, line)
        if not applied_clips:
            return {"CANCELLED"}
        for line in reports.skipped_channels(skipped):
            self.report({"WARNING"}, line)
        self.report({"INFO"}, reports.generated(applied_clips, len(job.requests), mesh.name))
        return {"FINISHED"}

    def _generated_mesh(self) -> bpy.types.Object | None:
        """The mesh the job was made for, or None after reporting that it is gone."""
        mesh = next((o for o in bpy.data.objects if o.session_uid == self._mesh_uid), None)
        if mesh is None:
            gone = "replaced by another object" if self._mesh_name in bpy.data.objects else "removed"
            self.report({"ERROR"}, f'"{self._mesh_name}" was {gone} while generating: nothing '
                                   "was applied")
            return None
        if mesh.data.shape_keys is None:
            self.report({"ERROR"}, f'"{mesh.name}" lost its shape keys while generating: '
                                   "nothing was applied")
            return None
        return mesh


class TALKFACE_OT_demo_head(bpy.types.Operator):
    """Add a head mesh with all 52 ARKit shape keys, ready to animate"""
    bl_idname = "talkface.demo_head"
    bl_label = "Create demo head"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        head = demo_head.create(context)
        _settings(context).target = head
        mapped, unmapped = head_rig.detect(head, head, ARKIT_NAMES)
        _report_mapping(self, mapped, unmapped, len(ARKIT_NAMES))
        return {"FINISHED"}


class TALKFACE_OT_export_fbx(bpy.types.Operator, ExportHelper):
    """Export the target (and its armature) with the baked shape-key animation, and the audio"""
    bl_idname = "talkface.export_fbx"
    bl_label = "Export FBX"
    bl_options = {"REGISTER"}

    filename_ext = ".fbx"
    filter_glob: StringProperty(default="*.fbx", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return _settings(context).target is not None

    def execute(self, context):
        mesh = _target_mesh(self, context)
        if mesh is None:
            return {"CANCELLED"}
        copied = fbx_export.export(context, mesh, self.filepath)
        self.report({"INFO"}, f"Exported {self.filepath} (+{reports.plural(len(copied), 'audio file')})")
        return {"FINISHED"}


register, unregister = bpy.utils.register_classes_factory((
    TALKFACE_OT_detect_rig, TALKFACE_OT_clip_add, TALKFACE_OT_clip_remove, TALKFACE_OT_clip_move,
    TALKFACE_OT_emotion_key_add, TALKFACE_OT_emotion_key_remove, TALKFACE_OT_emotion_read,
    TALKFACE_OT_generate, TALKFACE_OT_demo_head, TALKFACE_OT_export_fbx))
