"""Training (determinism, resume, alignment), evaluation metrics and baselines on a tiny corpus
built by the real data pipeline (espeak-ng speech, phone-driven teacher)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from talkface_core.blendshapes import ARKIT_INDEX
from talkface_core.cli import main
from talkface_core.training.evaluation import beats_baselines, clip_metrics
from talkface_core.training.dataset import allows_any_use, load_example, read_manifest, split_entries
from talkface_core.training.batcher import aligned_target
from talkface_core.training.config import TrainConfig
from talkface_core.training.loop import train


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    pytest.importorskip("talkface_core.data.build")
    from talkface_core.data.build import build

    out = tmp_path_factory.mktemp("corpus")
    try:
        build(out, ["tts"], 45, 0, out, 1, progress=False)
    except OSError as exc:  # libespeak-ng missing
        pytest.skip(f"cannot build a corpus: {exc}")
    return out


def _cfg(corpus, out, steps):
    return TrainConfig(data=str(corpus), out=str(out), steps=steps, batch=4, crop=64, warmup=2,
                       save_every=2, hidden=32, max_clips=20)


def test_split_holds_out_whole_speakers_and_sentences(corpus):
    entries = read_manifest(corpus)
    train_set, test_set = split_entries(entries)
    assert train_set and test_set and len(train_set) + len(test_set) == len(entries)
    assert not {e["speaker"] for e in train_set} & {e["speaker"] for e in test_set} - \
        {e["speaker"] for e in test_set if e["sentence"] not in {t["sentence"] for t in train_set}}
    assert not {e["sentence"] for e in train_set} & {e["sentence"] for e in test_set
                                                       if e["speaker"] in {t["speaker"] for t in train_set}}


def test_license_filter():
    assert allows_any_use({"license": "CC0-1.0"})
    assert not allows_any_use({"license": "CC BY-NC-SA 4.0"})
    assert not allows_any_use({"license": "research only"})
    assert allows_any_use({"license": "x", "license_use": "any"})
    assert not allows_any_use({"license": "x", "license_use": "non-commercial"})


def test_alignment_maps_phone_boundaries(corpus):
    entries = [e for e in read_manifest(corpus)]
    by_sentence = {}
    for e in entries:
        by_sentence.setdefault((e["speaker"], e["sentence"]), []).append(e)
    a_entry, b_entry = next(v for v in by_sentence.values() if len(v) >= 2)[:2]
    a, b = load_example(corpus, a_entry), load_example(corpus, b_entry)
    aligned = aligned_target(a, b)
    assert aligned.shape == a.target.shape
    # b's bilabial closures land on a's bilabial frames once aligned.
    gap_col = ARKIT_INDEX["mouthClose"]
    assert aligned[a.bilabial, gap_col].mean() > aligned[~a.bilabial, gap_col].mean()


def test_training_is_deterministic_and_resumable(corpus, tmp_path):
    full = train(_cfg(corpus, tmp_path / "full", 4), show_progress=False)
    again = train(_cfg(corpus, tmp_path / "again", 4), show_progress=False)
    half = train(_cfg(corpus, tmp_path / "half", 2), show_progress=False)
    # Resuming "half" to 4 steps must equal the uninterrupted run, bit for bit.
    state = torch.load(half.with_name("half.train-state.pt"), weights_only=False)
    state["config"]["steps"] = 4
    torch.save(state, half.with_name("half.train-state.pt"))
    resumed = train(_cfg(corpus, tmp_path / "half", 4), resume=True, show_progress=False)
    a, b, c = load_file(str(full)), load_file(str(again)), load_file(str(resumed))
    assert all(torch.equal(a[k], b[k]) and torch.equal(a[k], c[k]) for k in a)
    config = json.loads(full.with_suffix(".json").read_text())
    assert config["training_data"]["use"].startswith("any use")
    assert config["styles"]["0"].startswith("generic")


def test_clip_metrics_on_known_cases():
    t = np.zeros((10, 52), np.float32)
    t[:, ARKIT_INDEX["jawOpen"]] = np.linspace(0, 0.6, 10)
    bil = np.zeros(10, bool)
    bil[2:4] = True
    m = clip_metrics(t, t, bil)
    assert m["lip_max_err"] == 0 and m["jaw_corr"] == pytest.approx(1) and m["closure_hit"] == 1
    open_mouth = t.copy()
    open_mouth[:, ARKIT_INDEX["jawOpen"]] = 0.5
    m = clip_metrics(open_mouth, t, bil)
    assert m["closure_hit"] == 0 and m["lip_max_err"] == pytest.approx(np.abs(0.5 - t[:, 17]).mean())


def test_evaluate_reports_model_and_both_baselines(corpus, tmp_path, capsys):
    ckpt = train(_cfg(corpus, tmp_path / "tiny", 2), show_progress=False)
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--data", str(corpus), "--ckpt", str(ckpt), "--json", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "| jaw flap |" in text and "| mean pose |" in text and "beats both baselines" in text
    results = json.loads(out.read_text())
    methods = next(iter(results.values()))
    assert {"teacher", "mean pose", "jaw flap", "tiny"} <= set(methods)
    assert methods["teacher"]["lip_max_err"] == 0 and methods["teacher"]["closure_hit"] == 1
    assert 0 <= methods["tiny"]["auto_acc"] <= 1
    assert set(beats_baselines(results, "tiny")) == set(results)


def test_batches_draw_every_source_equally(corpus):
    """A source with a tenth of the clips still gives about half the crops; German espeak-ng
    clips are drawn within the espeak-ng group."""
    from dataclasses import replace

    from talkface_core.training.loop import Batcher

    base = [load_example(corpus, e) for e in read_manifest(corpus)[:20]]
    examples = [replace(ex, id=f"{ex.id}-{k}") for ex in base for k in range(9)]
    examples += [replace(ex, id=f"{ex.id}-f", source="festival") for ex in base[:2]]
    examples += [replace(ex, id=f"{ex.id}-de", source="tts_de") for ex in base[:20]]  # espeak's group
    batcher = Batcher(examples, crop=32)
    rng = np.random.default_rng(0)
    drawn = [examples[i].source for i in batcher.draw(rng, 4000)]
    assert 0.45 < drawn.count("festival") / len(drawn) < 0.55
    assert 0.03 < drawn.count("tts_de") / len(drawn) < 0.07   # 20 of the group's 200 clips
    batch = batcher.sample(np.random.default_rng(1), 8)
    assert batch["mel"].shape == (8, 32, 80) and batch["mask"].sum() > 0


def test_jaw_flap_opens_with_loudness_and_closes_in_quiet_frames(speech_wav):
    from talkface_core.audio import load_audio
    from talkface_core.training.baselines import frame_loudness, jaw_flap
    from talkface_core.training.lip_gap import CLOSED_GAP, lip_gap

    samples = load_audio(speech_wav)
    mean = np.full(52, 0.1, np.float32)
    flap = jaw_flap(samples, mean, 0.5)
    loud = frame_loudness(samples)
    assert np.corrcoef(flap[:, ARKIT_INDEX["jawOpen"]], loud)[0, 1] > 0.99
    gap = lip_gap(flap)
    assert gap[loud < 0.05].max() < CLOSED_GAP < gap[loud > 0.8].min()


def test_front_end_decides_what_the_checkpoint_reads(corpus, tmp_path):
    from dataclasses import replace

    from talkface_core.model.checkpoint import read_state

    whisper = train(_cfg(corpus, tmp_path / "w", 2), show_progress=False)
    plain = train(replace(_cfg(corpus, tmp_path / "p", 2), front_end="logmel"), show_progress=False)
    state, cfg, _ = read_state(whisper)
    assert cfg.speech_encoder == "whisper-tiny.en" and cfg.n_inputs == 80 + 384
    # The stream's training statistics travel with the weights.
    assert (state["speech_scale"] > 0).all() and np.abs(state["speech_mean"]).max() > 0
    assert state["content.0.weight"].shape[1] == 80 + 384
    assert read_state(plain)[1].n_speech == 0 and "speech_mean" not in read_state(plain)[0]
    # Encoded once, kept in the corpus: a clean and a degraded version of every training clip.
    packed = list((corpus / "features" / "whisper-tiny.en" / "packed").glob("*.npz"))
    with np.load(packed[0]) as z:
        keys = set(z.files)
    assert keys and {k.split("~")[0] for k in keys} <= {e["id"] for e in read_manifest(corpus)}
    with pytest.raises(ValueError, match="front end must be one of"):
        train(replace(_cfg(corpus, tmp_path / "x", 2), front_end="mfcc"), show_progress=False)


def test_evaluation_samples_per_source_reproducibly(corpus):
    from talkface_core.training.evaluation import heldout_clips

    entries = read_manifest(corpus)
    _, everything = heldout_clips(entries)
    _, three = heldout_clips(entries, per_source=3)
    assert len(three) == 3 and {e["id"] for e in three} <= {e["id"] for e in everything}
    assert heldout_clips(entries, per_source=3) == (heldout_clips(entries)[0], three)


def test_a_local_speech_encoder_trains_and_generates_in_whispers_place(corpus, tmp_path):
    """--speech-encoder FOLDER: a local transformers model (tiny wav2vec2 saved here) replaces
    Whisper in training, evaluation and generate(), which then needs that same folder."""
    pytest.importorskip("transformers", reason="transformers runs local speech encoders")
    from dataclasses import replace

    from talkface_core import generate
    from talkface_core.model.checkpoint import read_state
    from fixtures.tiny_wav2vec2 import save_tiny_wav2vec2

    folder = save_tiny_wav2vec2(tmp_path / "wav2vec2")
    ckpt = train(replace(_cfg(corpus, tmp_path / "hf", 2), speech_encoder=str(folder)), show_progress=False)
    cfg = read_state(ckpt)[1]
    assert cfg.speech_encoder == "hf:wav2vec2-32" and cfg.n_inputs == 80 + 32
    wav = corpus / "clips" / f"{read_manifest(corpus)[0]['id']}.wav"
    a = generate(wav, checkpoint=ckpt, speech_encoder=folder, device="cpu", blinks=False)
    b = generate(wav, checkpoint=ckpt, speech_encoder=folder, device="torch-cpu", blinks=False)
    assert np.abs(a.weights - b.weights).max() < 1e-4
    with pytest.raises(ValueError, match="pass its model folder"):
        generate(wav, checkpoint=ckpt, device="cpu")
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--data", str(corpus), "--ckpt", str(ckpt), "--speech-encoder", str(folder),
                 "--json", str(out), "--quiet"]) == 0
    assert "hf" in next(iter(json.loads(out.read_text()).values()))
    with pytest.raises(ValueError, match="needs the front end logmel\\+whisper"):
        train(replace(_cfg(corpus, tmp_path / "x", 2), speech_encoder=str(folder), front_end="logmel"),
              show_progress=False)


def test_face_behaviour_measures_rest_symmetry_steadiness_and_blinks(corpus):
    """The held-out behaviour figures on takes of three clips joined by pauses, through generate()."""
    from talkface_core.training.face_behaviour import face_behaviour, format_behaviour

    r = face_behaviour(corpus, per_source=1, show_progress=False)
    assert r["takes"] == 1 and r["rest"]["frames"] > 30   # two inner pauses and the end
    assert 0.0 <= r["rest"]["share_met"] <= 1.0 and np.isfinite(r["rest"]["mean_gap"])
    assert len(r["symmetry_abs_log_ratio"]) == 20 and all(v >= 0 for v in r["symmetry_abs_log_ratio"].values())
    assert set(r["steadiness"]) == {"happy", "sad", "angry", "fear", "disgust", "surprise"}
    assert all(v > 0 for v in r["steadiness"].values())
    assert "symmetry: worst |log(L/R)|" in format_behaviour("default", r)
