"""`talkface evaluate --realism DIR`: statistics of generated faces against real ones."""
from __future__ import annotations

import json

import numpy as np
import pytest

from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.cli import main
from talkface_core.model.checkpoint import default_checkpoint
from talkface_core.training.realism import REAL, blink_count, clip_stats, summarise


def test_clip_statistics_count_what_they_say():
    fps, n = 30.0, 1800                          # one minute
    w = np.zeros((n, 52))
    lid = [ARKIT_NAMES.index("eyeBlinkLeft"), ARKIT_NAMES.index("eyeBlinkRight")]
    for start in range(15, n - 10, 90):          # a blink every 3 s: 20 a minute
        w[start:start + 6, lid] = np.array([0.3, 0.8, 1.0, 0.7, 0.4, 0.1])[:, None]
    w[:, ARKIT_NAMES.index("jawOpen")] = 0.2 * (1 + np.sin(np.arange(n) / 3))
    stats = clip_stats(w, fps)
    assert blink_count(w) == 20 and stats.blinks_per_min == pytest.approx(20.0)
    assert stats.std[ARKIT_NAMES.index("jawOpen")] == pytest.approx(0.2 / np.sqrt(2), rel=0.02)
    row = summarise([stats], [stats])
    assert row["moving"] == 3 and row["profile_r"] == pytest.approx(1.0)
    assert row["jitter_max_ratio"] == pytest.approx(1.0)
    flat = summarise([clip_stats(np.zeros((n, 52)), fps)], [stats])
    assert flat["moving"] == 0 and flat["blinks_per_min"] == 0 and flat["profile_r"] == 0


def test_realism_command_on_real_faces(shared_data, tmp_path, capsys):
    folder = shared_data / "talkvid"
    if not folder.is_dir():
        pytest.skip(f"no talkvid clips in {folder}")
    out = tmp_path / "realism.json"
    assert main(["evaluate", "--realism", str(folder), "--ckpt", str(default_checkpoint()),
                 "--quiet", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert REAL in table and default_checkpoint().stem in table
    rows = json.loads(out.read_text())
    real, ours = rows[REAL], rows[default_checkpoint().stem]
    assert real["clips"] >= 20 and real["moving"] > 20 and real["profile_r"] == pytest.approx(1.0)
    # The targets the runtime layers reach (the std profile needs the retraining).
    assert ours["moving"] >= 24
    for key in ("eye_look", "brow"):
        assert 0.5 * real[key] <= ours[key] <= 2 * real[key], (key, ours[key], real[key])
    assert 17 <= ours["blinks_per_min"] <= 40
    # The teacher's row, on the clips whose words pocketsphinx hears and the aligner places.
    teacher = rows["teacher"]
    assert "teacher" in table and 10 <= teacher["clips"] <= real["clips"]
    assert teacher["blinks_per_min"] > 5 and teacher["moving"] > 5


def test_realism_command_refuses_a_missing_folder(tmp_path):
    with pytest.raises(SystemExit, match="not found"):
        main(["evaluate", "--realism", str(tmp_path / "nowhere"), "--quiet"])
