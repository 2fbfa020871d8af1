"""Shared fixtures: real speech made by espeak-ng, tones made by sox, and the shared data folder."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

SENTENCE = "Bob bought a map, then we watched the blue moon rise over the papers."


def run_tool(*cmd: str | Path) -> None:
    """Run a command-line tool the tests depend on; skip the test if it is not installed."""
    if shutil.which(str(cmd[0])) is None:
        pytest.skip(f"{cmd[0]} is not installed (.ci/run installs it with apt-get)")
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True)


def espeak(path: Path, text: str = SENTENCE, *, voice: str = "en-us", speed: int = 150) -> Path:
    run_tool("espeak-ng", "-v", voice, "-s", str(speed), "-w", path, text)
    return path


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 4 s of English speech at espeak-ng's native 22.05 kHz, with several bilabials."""
    return espeak(tmp_path_factory.mktemp("speech") / "speech.wav")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
