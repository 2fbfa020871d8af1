"""`talkface build-extension`: build the installable Blender extension zip.

Staging (in a temporary folder, so the repository needs no root __init__.py that would confuse
pytest and setuptools):
    talkface/__init__.py            re-exports register/unregister from .blender_addon
    talkface/blender_addon/         copied from the repository
    talkface/blender_manifest.toml  the repository's manifest with `wheels` filled in
    talkface/wheels/*.whl           talkface_core as a pure wheel (built here, offline), plus the
                                    core's dependencies per platform (pip download), never numpy
Blender's own `extension build` (bl_pkg/cli/blender_ext.py inside the bpy wheel) makes the zip,
and `extension validate` checks it.

The speech encoder's runtime (CTranslate2) is a compiled wheel per platform, so more than one
platform means one zip per platform (Blender's --split-platforms): each holds only its own
binaries, and the encoder's 71 MB model wheel, which every platform needs.

PyTorch is not bundled by default and not needed: generation on the CPU runs the numpy forward
pass (talkface_core/model/numpy_net.py). PyTorch only adds CUDA generation; its wheels are 100 MB
(macOS) to several GB (Linux with CUDA), so users who want the GPU point the add-on's "Extra
Python packages" preference at a site-packages holding it, or build with `--with-torch` (for
Linux pass `--wheel-dir` with the wheel to use).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata as metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "talkface_core"
ADDON = REPO / "blender_addon"
MANIFEST = REPO / "blender_manifest.toml"

# Blender ships these in its own Python: bundling them breaks Blender's copy.
PROVIDED_BY_BLENDER = {"numpy"}

def _mac(arch: str) -> list[str]:
    return [f"macosx_{v}_0_{a}" for v in (14, 13, 12, 11) for a in (arch, "universal2")]


# Blender platform -> (pip --platform tags, marker environment). pip 23 does not expand a tag to
# the older compatible ones, so they are all listed.
PLATFORMS: dict[str, tuple[list[str], dict[str, str]]] = {
    "linux-x64": (["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
                  {"sys_platform": "linux", "platform_system": "Linux",
                   "platform_machine": "x86_64", "os_name": "posix"}),
    "windows-x64": (["win_amd64"], {"sys_platform": "win32", "platform_system": "Windows",
                                    "platform_machine": "AMD64", "os_name": "nt"}),
    "macos-arm64": (_mac("arm64"), {"sys_platform": "darwin", "platform_system": "Darwin",
                                    "platform_machine": "arm64", "os_name": "posix"}),
    "macos-x64": (_mac("x86_64") + ["macosx_10_15_x86_64", "macosx_10_9_x86_64"],
                  {"sys_platform": "darwin", "platform_system": "Darwin",
                   "platform_machine": "x86_64", "os_name": "posix"}),
}
PYTHON = "3.11"  # Blender 4.2 to 5.0


class BuildError(RuntimeError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=REPO / "dist" / "talkface.zip",
                        help="zip to write (with --with-torch: one per platform, suffixed)")
    parser.add_argument("--no-wheels", action="store_true",
                        help="bundle only talkface_core itself (offline; dependencies must already "
                             "be importable by Blender's Python)")
    parser.add_argument("--wheel-dir", type=Path,
                        help="take dependency wheels from this folder instead of PyPI (offline)")
    parser.add_argument("--with-torch", action="store_true",
                        help="also bundle PyTorch (split into one zip per platform)")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="platforms to support (repeatable; default: all)")


def run(args: argparse.Namespace) -> int:
    platforms = args.platform or list(PLATFORMS)
    try:
        zips = build(args.output, platforms=platforms, gather=not args.no_wheels,
                     wheel_dir=args.wheel_dir, with_torch=args.with_torch)
    except BuildError as exc:
        print(f"talkface build-extension: {exc}", file=sys.stderr)
        return 1
    for path in zips:
        print(path)
    return 0


def build(output: Path, *, platforms: list[str], gather: bool = True, wheel_dir: Path | None = None,
          with_torch: bool = False) -> list[Path]:
    """Stage, build and validate; returns the zip(s) written."""
    manifest = tomllib.loads(MANIFEST.read_text())
    version = manifest["version"]
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="talkface-ext-") as tmp:
        stage = Path(tmp) / manifest["id"]
        shutil.copytree(ADDON, stage / "blender_addon",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (stage / "__init__.py").write_text(
            '"""TalkFace Blender extension (staged by `talkface build-extension`)."""\n'
            "from .blender_addon import register, unregister\n\n"
            '__all__ = ["register", "unregister"]\n')
        wheels = stage / "wheels"
        wheels.mkdir()
        core_wheel(wheels, version)
        if gather:
            names = dependency_closure(platforms, with_torch)
            for platform in platforms:
                download(wheels, names[platform], PLATFORMS[platform][0], wheel_dir)
        (stage / "blender_manifest.toml").write_text(
            staged_manifest(MANIFEST.read_text(), sorted(wheels.glob("*.whl")), platforms))
        before = set(output.parent.glob(f"{output.stem}*.zip"))
        split = gather and len(platforms) > 1 or with_torch   # binary wheels: one zip each
        blender_ext("build", "--source-dir", str(stage), "--output-filepath", str(output),
                    *(["--split-platforms"] if split else []))
        made = [output] if not split else sorted(
            set(output.parent.glob(f"{output.stem}*.zip")) - before
            or {output.with_name(f"{output.stem}-{p.replace('-', '_')}.zip") for p in platforms})
    for path in made:
        blender_ext("validate", str(path))
    return made


def staged_manifest(text: str, wheels: list[Path], platforms: list[str]) -> str:
    listed = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    text, n = re.subn(r"^wheels = \[.*?\]", f"wheels = [\n{listed},\n]", text, count=1,
                      flags=re.M | re.S)
    if n != 1:
        raise BuildError("blender_manifest.toml has no `wheels = [...]` line to fill in")
    quoted = ", ".join(f'"{p}"' for p in platforms)
    return re.sub(r"^platforms = \[.*?\]", f"platforms = [{quoted}]", text, count=1,
                  flags=re.M | re.S)


def core_wheel(folder: Path, version: str) -> Path:
    """talkface_core as a pure-Python wheel, written directly (no network, no build backend)."""
    dist = f"talkface_core-{version}"
    path = folder / f"{dist}-py3-none-any.whl"
    files = core_files()
    meta = {f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: talkface-core\nVersion: {version}\n",
            f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: talkface build-extension\n"
                                       "Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        entries = [(f"talkface_core/{p.relative_to(CORE).as_posix()}", p.read_bytes()) for p in files]
        entries += [(name, text.encode()) for name, text in meta.items()]
        for name, data in entries:
            zf.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{dist}.dist-info/RECORD,,")
        zf.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def core_files() -> list[Path]:
    """What the core wheel holds, by the same rule as pip's: the modules plus the package data
    pyproject.toml declares. So only the shipped checkpoint goes to users, never
    weights/research/ (non-commercial) or a training state left beside the weights."""
    globs = _pyproject()["tool"]["setuptools"]["package-data"]["talkface_core"]
    files = {p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts}
    return sorted(files | {p for g in globs for p in CORE.glob(g) if p.is_file()})


def _core_requirements(with_torch: bool) -> list[Requirement]:
    """The runtime dependencies, plus the `gpu` extra (PyTorch) with --with-torch."""
    project = _pyproject()["project"]
    extra = project["optional-dependencies"]["gpu"] if with_torch else []
    return [Requirement(r) for r in [*project["dependencies"], *extra]]


def dependency_closure(platforms: list[str], with_torch: bool) -> dict[str, list[str]]:
    """Per platform, the requirement strings of every package the core needs there (declared
    specifiers, markers evaluated for that platform; the dependencies of each package read from
    its installed metadata), minus what Blender provides. pip picks the newest matching wheel."""

    result = {}
    for platform in platforms:
        env = {**PLATFORMS[platform][1], "python_version": PYTHON, "python_full_version": PYTHON + ".0",
               "implementation_name": "cpython", "platform_python_implementation": "CPython",
               "extra": ""}
        wanted: dict[str, str] = {}
        todo = _core_requirements(with_torch)
        while todo:
            req = todo.pop()
            name = canonicalize_name(req.name)
            if name in PROVIDED_BY_BLENDER or name in wanted or (req.marker and not req.marker.evaluate(env)):
                continue
            wanted[name] = f"{name}{req.specifier}"
            try:
                todo += [Requirement(r) for r in metadata.requires(req.name) or ()]
            except metadata.PackageNotFoundError:
                pass  # not installed here (another platform's dependency): pip finds it anyway
        result[platform] = sorted(wanted.values())
    return result


def download(folder: Path, requirements: list[str], pip_platforms: list[str], wheel_dir: Path | None) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--python-version", PYTHON, "--implementation", "cp", "--dest", str(folder)]
    for tag in pip_platforms:
        cmd += ["--platform", tag]
    if wheel_dir is not None:
        cmd += ["--no-index", "--find-links", str(wheel_dir)]
    proc = subprocess.run(cmd + requirements, capture_output=True, text=True)
    if proc.returncode:
        raise BuildError(f"could not gather wheels for {pip_platforms[0]}:\n{proc.stderr.strip()}")


def _blender_ext_script() -> Path:
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("the `bpy` package (pip install bpy) is needed: its bl_pkg builds and "
                         "validates the extension")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise BuildError(f"bl_pkg/cli/blender_ext.py not found inside {root}")
    return found[-1]


def blender_ext(*args: str) -> None:
    proc = subprocess.run([sys.executable, str(_blender_ext_script()), *args],
                          capture_output=True, text=True)
    if proc.returncode:
        raise BuildError(f"blender_ext {args[0]} failed:\n{proc.stdout}{proc.stderr}".strip())
