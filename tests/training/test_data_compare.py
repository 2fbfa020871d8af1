"""Teacher/model jawOpen against real video curves (talkface data compare)."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.training.real_video import LAGS, compare_clip, lagged_r


def test_lagged_r_finds_a_known_delay():
    rng = np.random.default_rng(0)
    a = np.convolve(rng.normal(size=400), np.ones(5) / 5, mode="same")
    b = np.concatenate([np.zeros(3), a[:-3]])          # b is a, 3 frames later
    rs = {lag: lagged_r(a, b, lag) for lag in LAGS}
    assert max(rs, key=rs.get) == 3 and rs[3] > 0.99
    assert np.isnan(lagged_r(np.zeros(50), b[:50], 0))  # a flat curve has no correlation


def test_compare_clip_scores_model_and_loudness_on_a_real_video(shared_data):
    pytest.importorskip("pocketsphinx")
    flac = shared_data / "talkvid" / "vexp_RD_Radio10_0_clip_0.flac"
    if not flac.is_file():
        pytest.skip(f"{flac.name} not in ../shared/data/talkvid")
    row = compare_clip(flac)
    for name in ("model", "rms"):
        assert -1 <= row[f"{name}_r0"] <= 1 and row[f"{name}_best_lag"] in LAGS
        assert row[f"{name}_best_r"] >= row[f"{name}_r0"]
    assert ("teacher_r0" in row) == row["aligned"]
