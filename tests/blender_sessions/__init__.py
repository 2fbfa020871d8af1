"""Blender sessions for the extension tests: each runs in its own Python process (a fresh Blender
with its own user folder), does the work a user would, and writes what it measured as JSON; the
pytest modules assert on that. bpy keeps global state, so one process per session is the only way
to get a clean Blender each time."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# Another interpreter with another bpy (4.2, 5.0) runs the same sessions: TALKFACE_BPY_PYTHON=path.
BLENDER_PYTHON = os.environ.get("TALKFACE_BPY_PYTHON", sys.executable)
REPO = HERE.parents[1]


def require_bpy() -> None:
    pytest.importorskip("bpy", reason="bpy (Blender as a Python module) is needed: pip install bpy")


def build_zip(tmp: Path) -> Path:
    """The extension zip as a user gets it (dependency wheels left out: offline)."""
    from talkface_core.commands.build_extension import build

    return build(tmp / "talkface.zip", platforms=["linux-x64"], gather=False)[0]


def run_session(script: str, tmp: Path, timeout: float = 240, **args) -> dict:
    """Run tests/blender_sessions/<script> in a fresh process; returns the JSON it wrote."""
    out = tmp / f"{Path(script).stem}.json"
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp / "blender_user")}
    args = {k: str(v) if isinstance(v, Path) else v for k, v in args.items()}
    proc = subprocess.run([BLENDER_PYTHON, str(HERE / script), json.dumps({**args, "out": str(out)})],
                          env=env, cwd=tmp, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not out.is_file():
        raise AssertionError(f"{script} failed (rc {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return json.loads(out.read_text())


def run_inline(script: str, timeout: float = 120) -> dict:
    """Run `script` in a fresh Blender process with the add-on registered from this checkout
    (names: bpy, np, json, blender_addon, scene); it stores its measurements in the dict
    RESULT. Returns that dict."""
    prelude = (f"import json, sys\nsys.path.insert(0, {str(REPO)!r})\nimport bpy\n"
               "import numpy as np\nimport blender_addon\n"
               "bpy.ops.wm.read_factory_settings(use_empty=True)\nblender_addon.register()\n"
               "scene = bpy.context.scene\nscene.render.fps, scene.render.fps_base = 24, 1.0\n"
               "RESULT = {}\n")
    # os._exit: bpy can hang in its exit handlers after an error; the result is already printed.
    body = "\n".join("    " + line for line in (prelude + script).splitlines())
    wrapped = ("import os, traceback\ntry:\n" + body + "\n    print('RESULT' + json.dumps(RESULT), "
               "flush=True)\nexcept BaseException:\n    traceback.print_exc()\n    os._exit(1)\n"
               "os._exit(0)\n")
    proc = subprocess.run([BLENDER_PYTHON, "-c", wrapped], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if proc.returncode != 0 or not lines:
        raise AssertionError(f"Blender script failed (rc {proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT"):])
