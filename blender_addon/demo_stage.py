"""Where the demo head goes, and the camera and soft light that frame its face (so F12 right after
Create demo head renders a portrait). Camera and light are children of the head: they move with it.
"""
from __future__ import annotations

import math

import bpy
import numpy as np
from mathutils import Matrix, Vector

LENS_MM, SENSOR_MM = 85.0, 24.0  # a portrait lens; the sensor fits the frame's height
FRAME_HEIGHT = 0.36              # metres of head in the frame, top of the head to below the chin
CAMERA_TURN = math.radians(18)   # towards the character's left: a slight three-quarter view
LIGHT_SIZE, LIGHT_WATTS = 1.0, 35.0


def free_spot(context, lower: np.ndarray, upper: np.ndarray) -> Vector:
    """The 3D cursor, or beside the scene's objects (to +X) if the head's box there would overlap
    one of them. lower/upper: the head's box around its origin."""
    context.view_layer.update()  # objects placed since the last update (an earlier head) move
    spot = np.array(context.scene.cursor.location)
    boxes = [np.array([o.matrix_world @ Vector(c) for c in o.bound_box])
             for o in context.scene.objects if o.type not in {"CAMERA", "LIGHT"}]
    if any(np.all(box.min(0) < spot + upper) and np.all(box.max(0) > spot + lower) for box in boxes):
        spot[0] = max(box[:, 0].max() for box in boxes) - lower[0] + 0.1
    return Vector(spot)


def _aim(obj: bpy.types.Object, location: Vector, target: Vector) -> None:
    obj.matrix_parent_inverse = Matrix.Identity(4)
    obj.location = location
    obj.rotation_euler = (target - location).to_track_quat("-Z", "Y").to_euler()


def add_stage(context, head: bpy.types.Object, collection: bpy.types.Collection,
              face_centre: Vector) -> bpy.types.Object:
    """Camera (made the scene camera) and light aimed at face_centre (head-local); a dim grey
    world if the scene has none. Returns the camera."""
    cam_data = bpy.data.cameras.new(f"{head.name} camera")
    cam_data.lens, cam_data.sensor_fit, cam_data.sensor_height = LENS_MM, "VERTICAL", SENSOR_MM
    cam_data.clip_start = 0.05
    camera = bpy.data.objects.new(cam_data.name, cam_data)
    distance = FRAME_HEIGHT / 2 / (SENSOR_MM / 2 / LENS_MM)
    view = Vector((math.sin(CAMERA_TURN), -math.cos(CAMERA_TURN), 0.08)).normalized()
    light_data = bpy.data.lights.new(f"{head.name} light", "AREA")
    light_data.shape, light_data.size, light_data.energy = "DISK", LIGHT_SIZE, LIGHT_WATTS
    light = bpy.data.objects.new(light_data.name, light_data)
    for obj in (camera, light):
        collection.objects.link(obj)
        obj.parent = head
    _aim(camera, face_centre + view * distance, face_centre)
    _aim(light, face_centre + Vector((-0.7, -1.0, 0.7)).normalized() * 1.3, face_centre)
    context.scene.camera = camera
    if context.scene.world is None:
        world = bpy.data.worlds.new("TalkFace world")
        world.color = (0.05, 0.05, 0.055)
        context.scene.world = world
    return camera
