"""talkface's Blender extension (everything that imports bpy).

The installable extension is staged by `talkface build-extension`: its root __init__.py only
re-exports register/unregister from here, and talkface_core arrives as a bundled wheel.
Submodules are imported inside register() so that bpy-free parts (shape_key_match, job) can be
imported and tested without Blender.
"""
from __future__ import annotations

_MODULES = ("properties", "operators", "panels", "flame_ui")


def _modules():
    import importlib

    return [importlib.import_module(f".{name}", __package__) for name in _MODULES]


def register() -> None:
    for module in _modules():
        module.register()


def unregister() -> None:
    for module in reversed(_modules()):
        module.unregister()
