"""A PNG of a corpus clip: waveform, phone labels, and a few teacher curves on one time axis."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from ..blendshapes import ARKIT_INDEX


def plot_clip(corpus: Path, clip_id: str, out: Path, curves: list[str]) -> Path:
    import matplotlib
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    record = json.loads((corpus / "clips" / f"{clip_id}.json").read_text())
    audio, sr = sf.read(corpus / record["wav"], dtype="float32")
    with np.load(corpus / record["npz"], allow_pickle=False) as z:
        weights, phones, fps = z["weights"], z["phones"], float(z["fps"])
    t_audio = np.arange(len(audio)) / sr
    t = np.arange(len(weights)) / fps

    fig, (ax_wave, ax_curves) = plt.subplots(2, 1, figsize=(14, 6), sharex=True,
                                             gridspec_kw={"height_ratios": [1, 2]})
    ax_wave.plot(t_audio, audio, color="0.5", linewidth=0.5)
    for start, end, phone in zip(phones["start"], phones["end"], phones["phone"]):
        ax_wave.axvline(start, color="0.85", linewidth=0.5)
        ax_wave.text(0.5 * (start + end), 0.9 * max(np.abs(audio).max(), 1e-3), phone,
                     ha="center", fontsize=7)
    ax_wave.set_title(f"{clip_id}: {record['emotion']} {record['intensity']}, {record['speaker']} "
                      f"— \"{record['text'][:90]}\"", fontsize=9)
    for name in curves:
        ax_curves.plot(t, weights[:, ARKIT_INDEX[name]], label=name, linewidth=1.2)
    ax_curves.set_ylim(0, 1)
    ax_curves.set_xlabel("seconds")
    ax_curves.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
