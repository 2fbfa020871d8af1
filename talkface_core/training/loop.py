"""The training loop: corpus -> checkpoint, deterministic from a seed and resumable."""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..devices import resolve_device
from ..emotions import EMOTIONS
from ..model.checkpoint import save_checkpoint
from ..model.network import NetConfig, TalkNet, parameter_count
from . import losses
from .batcher import Batcher, style_table
from .config import LOSS_WEIGHTS, TrainConfig, stream_spec
from .dataset import read_manifest
from .examples import data_summary, load_examples, select_training, speech_statistics
from .spec_augment import augment


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


def optimiser_step(model: TalkNet, opt: torch.optim.Optimizer, parts: dict[str, torch.Tensor]) -> None:
    """One update on the weighted sum of the loss parts, gradients clipped to norm 1."""
    loss = sum(LOSS_WEIGHTS[k] * v for k, v in parts.items())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def _lr(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def _state_path(out: Path) -> Path:
    return out.with_name(out.stem + ".train-state.pt")


def train(cfg: TrainConfig, *, resume: bool = False, show_progress: bool = True,
          command: str | None = None) -> Path:
    """Train and write the checkpoint; returns the .safetensors path. `command` (the command line
    that ran it) is recorded in the checkpoint so its recipe can be rerun."""
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
        optimiser_step(model, opt, parts)
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
                         "command": command},
            "training_data": data_summary(entries, cfg.research),
            "styles": {"0": "generic (all training speakers)",
                       **{str(i): next(f"{ex.source}:{ex.speaker}" for ex in examples if ex.style == s)
                          for s, i in styles.items()}}}
    info["license"] = info["training_data"]["use"]
    path = save_checkpoint(out, model, info)
    (out.parent / (out.name + ".data.json")).write_text(json.dumps(sorted(e["id"] for e in entries)) + "\n")
    return path
