"""`talkface bench` runs and reports every column (the numbers themselves go in the notes)."""
from __future__ import annotations

import json

from talkface_core.cli import main


def test_bench_reports_speed_memory_and_size(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--durations", "2", "5", "--repeats", "1", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "parameters" in text and "| 5 |" in text
    rows = json.loads(out.read_text())["rows"]
    assert [r["seconds"] for r in rows] == [2, 5]
    for r in rows:
        assert r["rtf"] > 0 and r["vs_features"] > 0 and r["peak_rss_mb"] > 0
