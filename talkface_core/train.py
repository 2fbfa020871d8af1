"""Training: corpus -> checkpoint, deterministic from a seed and resumable.

Each step draws a batch of random crops. For every clip with a partner (same speaker and words,
another emotion) the partner's teacher curves are time-aligned to the clip by their phone
boundaries, and the decoder must rebuild them from *this* clip's content features with the
*partner's* emotion: cross-reconstruction, which keeps the voice's emotion out of the content path.
"""
from __future__ import annotations

import json
import math
import shlex
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .blendshapes import EMOTIONS
from .model import losses
from .model.checkpoint import save_checkpoint
from .model.dataset import Example, allows_any_use, load_example, read_manifest, split_entries, with_speech
from .model.features import FEATURE_RATE, N_MELS, utterance_features
from .model.network import NetConfig, TalkNet, parameter_count
from .model.speech_cache import copy_audio, copy_id, training_features
from .model.speech_encoders import WHISPER_SPEC, StreamSpec, local_spec

PAUSES = frozenset({"_", "sil", "pau", "sp", "", "#", "SIL", "h#"})
LOSS_WEIGHTS = {"rec": 1.0, "vel": 1.0, "cross": 0.5, "cls": 0.1, "closure": 5.0}
FRONT_ENDS = ("logmel+whisper", "logmel")   # what the network reads (bench/frontend_study.py chose)


@dataclass
class TrainConfig:
    data: str
    out: str
    steps: int = 3000
    batch: int = 16
    crop: int = 128                     # frames (2.56 s)
    lr: float = 2e-3
    warmup: int = 100
    seed: int = 0
    research: bool = False              # also train on non-commercial / research-only clips
    device: str = "auto"
    save_every: int = 200
    max_clips: int = 0                  # 0 = all (a small number makes quick smoke runs)
    degraded_copies: int = 1            # extra copies per clip through noise/reverb/band/gain
    front_end: str = FRONT_ENDS[0]
    speech_encoder: str = ""            # a local transformers model folder, in Whisper's place
    hidden: int = 96
    net: dict = field(default_factory=dict)


def _speech_knots(phones: np.ndarray) -> tuple[list[str], np.ndarray]:
    speech = [p for p in phones if str(p["phone"]) not in PAUSES]
    if not speech:
        return [], np.zeros(0)
    knots = [float(p["start"]) for p in speech] + [float(speech[-1]["end"])]
    return [str(p["phone"]) for p in speech], np.array(knots)


def aligned_target(a: Example, b: Example) -> torch.Tensor:
    """b's teacher curves on a's timeline: phone boundary to phone boundary when both say the
    same phones, else a linear stretch of the speech span."""
    pa, ka = _speech_knots(a.phones)
    pb, kb = _speech_knots(b.phones)
    if len(ka) < 2 or len(kb) < 2:
        ka, kb = np.array([0.0, len(a.target) / FEATURE_RATE]), np.array([0.0, len(b.target) / FEATURE_RATE])
    elif pa != pb:
        ka, kb = ka[[0, -1]], kb[[0, -1]]
    keep = np.concatenate([[True], np.diff(ka) > 1e-6]) & np.concatenate([[True], np.diff(kb) > 1e-6])
    ka, kb = ka[keep], kb[keep]
    t = np.arange(len(a.target)) / FEATURE_RATE
    pos = np.clip(np.interp(t, ka, kb) * FEATURE_RATE, 0, len(b.target) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(b.target) - 1)
    frac = torch.from_numpy((pos - lo)[:, None].astype(np.float32))
    return b.target[lo] * (1 - frac) + b.target[hi] * frac


def partners(examples: list[Example]) -> list[list[int]]:
    """For each clip: indices of clips with the same speaker and sentence but another emotion."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups[(ex.speaker, ex.sentence)].append(i)
    return [[j for j in groups[(ex.speaker, ex.sentence)] if examples[j].emotion != ex.emotion]
            for ex in examples]


STYLE_DROPOUT = 0.3   # share of crops trained as the generic style 0
SAMPLING_GROUP = {"tts_de": "tts"}   # source -> the group it is drawn with (see Batcher)


def style_table(examples: list[Example]) -> dict[int, int]:
    """Corpus style id -> network style index. Index 0 is the generic style (trained on a
    share of every speaker's crops), so held-out and new voices have a sensible default."""
    return {s: i + 1 for i, s in enumerate(sorted({ex.style for ex in examples}))}


class Batcher:
    """Random crops (+ aligned partner targets), reproducible from a numpy Generator.

    Each crop first draws a source group (espeak-ng, Festival, RAVDESS, ...) uniformly, then a
    clip of it: thousands of formant-synthesis clips must not drown the few natural-sounding
    voices, whose closures and coarticulation are the ones real speech has. espeak-ng's German
    shares the espeak-ng group, so it does not take a third of the default checkpoint's crops
    from English (measured on held-out RAVDESS actors the two choices came out alike: jaw
    correlation 0.740 as its own group, 0.731 shared)."""

    def __init__(self, examples: list[Example], crop: int) -> None:
        self.examples, self.crop = examples, crop
        self.styles = style_table(examples)
        self.partners = partners(examples)
        by_group: dict[str, list[int]] = defaultdict(list)
        for i, ex in enumerate(examples):
            by_group[SAMPLING_GROUP.get(ex.source, ex.source)].append(i)
        self.groups = [np.array(by_group[g]) for g in sorted(by_group)]
        self._aligned: dict[tuple[int, int], torch.Tensor] = {}

    def draw(self, rng: np.random.Generator, size: int) -> list[int]:
        """Indices of `size` clips: a source group uniformly, then one of its clips uniformly."""
        picks = rng.integers(len(self.groups), size=size)
        return [int(self.groups[g][rng.integers(len(self.groups[g]))]) for g in picks]

    def _partner_target(self, i: int, j: int) -> torch.Tensor:
        if (i, j) not in self._aligned:
            self._aligned[(i, j)] = aligned_target(self.examples[i], self.examples[j])
        return self._aligned[(i, j)]

    def sample(self, rng: np.random.Generator, size: int) -> dict[str, torch.Tensor]:
        L = self.crop
        n_mels, k = self.examples[0].mel.shape[1], self.examples[0].target.shape[1]
        out = {"mel": torch.zeros(size, L, n_mels), "target": torch.zeros(size, L, k),
               "mask": torch.zeros(size, L), "bilabial": torch.zeros(size, L),
               "cross_target": torch.zeros(size, L, k), "cross_mask": torch.zeros(size, L),
               "emotion": torch.zeros(size, dtype=torch.long), "intensity": torch.zeros(size),
               "style": torch.zeros(size, dtype=torch.long),
               "cross_emotion": torch.zeros(size, dtype=torch.long), "cross_intensity": torch.zeros(size),
               "cross_style": torch.zeros(size, dtype=torch.long)}
        for row, i in enumerate(self.draw(rng, size)):
            ex = self.examples[i]
            t = len(ex.target)
            s = int(rng.integers(max(t - L, 0) + 1))
            n = min(L, t - s)
            out["mel"][row, :n] = ex.mel[s:s + n]
            out["target"][row, :n] = ex.target[s:s + n]
            out["mask"][row, :n] = 1
            out["bilabial"][row, :n] = ex.bilabial[s:s + n].float()
            style = 0 if rng.random() < STYLE_DROPOUT else self.styles[ex.style]
            out["emotion"][row], out["intensity"][row], out["style"][row] = ex.emotion, ex.intensity, style
            if self.partners[i]:
                j = self.partners[i][int(rng.integers(len(self.partners[i])))]
                other = self.examples[j]
                out["cross_target"][row, :n] = self._partner_target(i, j)[s:s + n]
                out["cross_mask"][row, :n] = 1
                out["cross_emotion"][row] = other.emotion
                out["cross_intensity"][row] = other.intensity
                out["cross_style"][row] = style and self.styles[other.style]
        return out


def _warp_bands(mel: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Vocal-tract-length perturbation: stretch the mel axis by alpha per clip (formants of a
    longer or shorter vocal tract), the largest speaker difference the front end must ignore."""
    m = mel.shape[-1]
    pos = (torch.arange(m)[None, :] * alpha[:, None]).clamp(0, m - 1)       # (B, m)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=m - 1)
    frac = (pos - lo)[:, None, :]
    take = lambda idx: mel.gather(2, idx[:, None, :].expand(-1, mel.shape[1], -1))  # noqa: E731
    return take(lo) * (1 - frac) + take(hi) * frac


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Speaker and microphone variation the per-utterance normalisation does not remove:
    vocal tract length, a spectral tilt, a masked band (SpecAugment) and a little noise. Only the
    log-mel columns: a speech-encoder stream already saw the degraded audio copies."""
    mel = x[..., :N_MELS]
    b, t, m = mel.shape
    mel = _warp_bands(mel, 0.88 + 0.24 * torch.rand(b, generator=gen))
    bands = torch.linspace(-1, 1, m)
    tilt = (torch.rand(b, 1, 1, generator=gen) - 0.5) * bands
    width = torch.randint(0, 9, (b,), generator=gen)
    first = torch.randint(0, m - 8, (b,), generator=gen)
    idx = torch.arange(m)
    band = ((idx >= first[:, None]) & (idx < (first + width)[:, None])).float()[:, None, :]
    noise = torch.randn(mel.shape, generator=gen) * 0.1
    return torch.cat([(mel + tilt + noise) * (1 - band), x[..., N_MELS:]], -1)


def compute_losses(model: TalkNet, batch: dict[str, torch.Tensor], gen: torch.Generator | None
                   ) -> dict[str, torch.Tensor]:
    mel = batch["mel"] if gen is None else augment(batch["mel"], gen)
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    mel = mel.to(device)
    eye = torch.eye(len(EMOTIONS), device=device)
    content = model.encode_content(mel)
    pred = torch.sigmoid(model.decode(content, eye[batch["emotion"]] * batch["intensity"][:, None],
                                      batch["style"]).float())
    cross = torch.sigmoid(model.decode(
        content, eye[batch["cross_emotion"]] * batch["cross_intensity"][:, None], batch["cross_style"]).float())
    logits = model.emotion_logits(mel).float()
    mask = batch["mask"]
    return {"rec": losses.reconstruction(pred, batch["target"], mask),
            "vel": losses.velocity(pred, batch["target"], mask),
            "cross": losses.reconstruction(cross, batch["cross_target"], batch["cross_mask"]),
            "cls": losses.emotion_classification(logits, batch["emotion"], mask),
            "closure": losses.closure(pred, batch["target"], batch["bilabial"] * mask)}


def stream_spec(cfg: TrainConfig) -> StreamSpec | None:
    """The speech stream the network reads beside the log-mel, if any."""
    if cfg.front_end not in FRONT_ENDS:
        raise ValueError(f"front end must be one of {', '.join(FRONT_ENDS)}, got {cfg.front_end!r}")
    if cfg.front_end == "logmel":
        if cfg.speech_encoder:
            raise ValueError("a speech encoder folder needs the front end logmel+whisper "
                             "(it takes Whisper's place)")
        return None
    return local_spec(cfg.speech_encoder) if cfg.speech_encoder else WHISPER_SPEC


def load_examples(data: Path, entries: list[dict], copies: int, seed: int, show_progress: bool,
                  stream: StreamSpec | None = None) -> list[Example]:
    """Each clip, plus `copies` versions through recording conditions (noise, reverb, phone/laptop
    band, gain, sample-rate round trip): labels stay valid because timing is untouched. With a
    speech stream each input frame also carries that encoder's output (speech_cache)."""
    speech = None
    if stream is not None:
        speech = training_features(data, read_manifest(data), [e["id"] for e in entries], copies, seed,
                                   stream, show_progress)
    out = []
    for entry in tqdm(entries, desc="loading clips", disable=not show_progress, leave=False):
        ex = load_example(data, entry, keep_audio=copies > 0)
        samples, ex.samples = ex.samples, None
        clips = [ex] + [replace(ex, id=copy_id(ex.id, k), mel=torch.from_numpy(utterance_features(
            copy_audio(samples, seed, ex.id, k)))) for k in range(copies)]
        # pop: each clip's cached stream is released once it is part of its example
        out += clips if speech is None else [replace(c, mel=with_speech(c.mel, speech.pop(c.id)))
                                             for c in clips]
    return out


def speech_statistics(examples: list[Example]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-dimension mean and spread of the speech stream over all training frames, summed clip
    by clip in float64 (one concatenated copy of the stream would take gigabytes)."""
    count, total, total_sq = 0, torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    for ex in examples:
        x = ex.mel[:, N_MELS:].double()
        count, total, total_sq = count + len(x), total + x.sum(0), total_sq + (x * x).sum(0)
    mean = total / count
    spread = (total_sq / count - mean * mean).clamp_min(0).sqrt()
    return mean.float(), (spread + 1e-3).float()


def _lr(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def select_training(entries: list[dict], research: bool) -> list[dict]:
    train, _ = split_entries(entries)
    return [e for e in train if research or allows_any_use(e)]


def data_summary(entries: list[dict], research: bool) -> dict:
    licenses = sorted({e["license"] for e in entries})
    any_use = all(allows_any_use(e) for e in entries)
    return {"clips": len(entries),
            "hours": round(sum(float(e.get("duration", 0.0)) for e in entries) / 3600, 3),
            "sources": dict(Counter(e["source"] for e in entries)),
            "speakers": len({(e["source"], e["speaker"]) for e in entries}),
            "emotions": dict(Counter(e["emotion"] for e in entries)),
            "licenses": licenses, "research_data_included": research,
            "use": "any use (commercial included)" if any_use else
                   "NON-COMMERCIAL research use only (inherits CC BY-NC-SA 4.0 / research-only terms)"}


def _state_path(out: Path) -> Path:
    return out.with_name(out.stem + ".train-state.pt")


def train(cfg: TrainConfig, *, resume: bool = False, show_progress: bool = True) -> Path:
    """Train and write the checkpoint; returns the .safetensors path."""
    from .inference import resolve_device  # one device rule for training and inference

    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    resolved = resolve_device(cfg.device)
    device = torch.device("cpu" if resolved in ("cpu", "torch-cpu") else resolved)
    out = Path(cfg.out).with_suffix("")
    entries = select_training(read_manifest(Path(cfg.data)), cfg.research)
    if cfg.max_clips:
        entries = sorted(entries, key=lambda e: e["id"])[:cfg.max_clips]
    if not entries:
        raise ValueError(f"no training clips in {cfg.data} (after the held-out split and license filter)")
    stream = stream_spec(cfg)
    examples = load_examples(Path(cfg.data), entries, cfg.degraded_copies, cfg.seed, show_progress, stream)
    styles = style_table(examples)
    speech = {"n_speech": stream.dims, "speech_encoder": stream.name} if stream else {}
    net_cfg = NetConfig(hidden=cfg.hidden, n_styles=len(styles) + 1, **speech, **cfg.net)
    model = TalkNet(net_cfg)
    model.init_output(torch.cat([ex.target for ex in examples]).mean(0))
    if net_cfg.n_speech:
        model.set_speech_norm(*speech_statistics(examples))
    model = model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    step = 0
    state_path = _state_path(out)
    if resume and state_path.is_file():
        state = torch.load(state_path, map_location=device, weights_only=False)
        if state["config"] != asdict(cfg) | {"steps": state["config"]["steps"]}:
            raise ValueError(f"{state_path} was made with other settings; delete it to start over")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["numpy_rng"]
        gen.set_state(state["torch_gen"])
        torch.set_rng_state(state["torch_rng"])
        step = state["step"]
    batcher = Batcher(examples, cfg.crop)
    use_amp = device.type == "cuda"
    model.train()
    bar = tqdm(total=cfg.steps, initial=step, desc="training", disable=not show_progress)
    started = time.time()
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = _lr(cfg, step)
        batch = batcher.sample(rng, cfg.batch)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            parts = compute_losses(model, batch, gen)
        loss = sum(LOSS_WEIGHTS[k] * v for k, v in parts.items())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        bar.update(1)
        bar.set_postfix({k: f"{v.item():.3f}" for k, v in parts.items()})
        if step % cfg.save_every == 0 or step == cfg.steps:
            state_path.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "numpy_rng": rng.bit_generator.state, "torch_gen": gen.get_state(),
                        "torch_rng": torch.get_rng_state(), "config": asdict(cfg)}, state_path)
    bar.close()
    model.eval()
    info = {"training": {"config": asdict(cfg), "seconds": round(time.time() - started, 1),
                         "parameters": parameter_count(model),
                         "command": "talkface train " + " ".join(shlex.quote(a) for a in sys.argv[2:])
                         if sys.argv[1:2] == ["train"] else None},
            "training_data": data_summary(entries, cfg.research),
            "styles": {"0": "generic (all training speakers)",
                       **{str(i): next(f"{ex.source}:{ex.speaker}" for ex in examples if ex.style == s)
                          for s, i in styles.items()}}}
    info["license"] = info["training_data"]["use"]
    path = save_checkpoint(out, model, info)
    (out.parent / (out.name + ".data.json")).write_text(json.dumps(sorted(e["id"] for e in entries)) + "\n")
    return path
