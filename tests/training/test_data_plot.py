"""`talkface data plot` writes a real PNG of a clip's curves over its waveform."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from talkface_core.cli import main

pytest.importorskip("matplotlib", reason="matplotlib is in the data extra")


def test_plot_writes_png(tmp_path: Path) -> None:
    assert main(["data", "build", "--out", str(tmp_path), "--sources", "tts", "--clips", "1",
                 "--seed", "0", "--quiet"]) == 0
    clip = json.loads((tmp_path / "manifest.jsonl").read_text().splitlines()[0])["id"]
    png = tmp_path / "plot.png"
    assert main(["data", "plot", str(tmp_path), clip, "--out", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
