"""Shared fixtures: real speech made by espeak-ng, tones made by sox, and the shared data folder."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.speech import espeak

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 4 s of English speech at espeak-ng's native 22.05 kHz, with several bilabials."""
    return espeak(tmp_path_factory.mktemp("speech") / "speech.wav")


@pytest.fixture(scope="session")
def other_speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another clip: other words, another voice (per-clip behaviour must differ from speech_wav)."""
    return espeak(tmp_path_factory.mktemp("speech") / "other.wav",
                  "Pack my box with five dozen liquor jugs, please.", voice="en-gb")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
