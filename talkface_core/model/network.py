"""The generator: content encoder, emotion encoder (+ classifier), fusion decoder.

Every layer is a convolution over time or acts per frame, so the network sees a bounded
context (`context_frames` either side). That bound is what makes windowed streaming exact.

Emotion enters the decoder linearly: logits = base(content, style) + sum_k e_k * delta_k(content,
style), with e = intensity * one-hot over the non-neutral emotions (or the classifier's
probabilities for "auto"). So intensity 0 is the neutral face, and every channel moves
monotonically from there as intensity grows: an artist's intensity slider does what it says.
Cross-reconstruction in training keeps the voice's own emotion out of the content features.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .config import NetConfig

__all__ = ["NetConfig", "TalkNet", "parameter_count"]


class ResidualConv(nn.Module):
    """Dilated non-causal conv, per-frame LayerNorm (no statistics across time), GELU, residual."""

    def __init__(self, channels: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation,
                              padding=dilation * (kernel - 1) // 2)
        self.norm = nn.LayerNorm(channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, C, T)
        y = self.norm(self.conv(x).transpose(1, 2)).transpose(1, 2)
        return x + self.drop(F.gelu(y))


def _stack(n_in: int, channels: int, kernel: int, dilations: tuple[int, ...], dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(n_in, channels, 3, padding=1),
                         *(ResidualConv(channels, kernel, d, dropout) for d in dilations))


class TalkNet(nn.Module):
    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        self.content = _stack(cfg.n_inputs, h, cfg.kernel, cfg.content_dilations, cfg.dropout)
        self.emotion = _stack(cfg.n_inputs, cfg.emotion_hidden, cfg.kernel, cfg.emotion_dilations,
                              cfg.dropout)
        self.classifier = nn.Conv1d(cfg.emotion_hidden, cfg.n_emotions, 1)
        self.style = nn.Embedding(cfg.n_styles, h)
        self.decoder = nn.Sequential(*(ResidualConv(h, cfg.kernel, d, cfg.dropout)
                                       for d in cfg.decoder_dilations))
        self.base_head = nn.Conv1d(h, cfg.n_outputs, 1)
        # One offset pattern per non-neutral emotion: neutral is the zero vector by construction.
        self.delta_head = nn.Conv1d(h, (cfg.n_emotions - 1) * cfg.n_outputs, 1)
        if cfg.n_speech:
            # The speech stream's training statistics travel in the checkpoint with the weights.
            self.register_buffer("speech_mean", torch.zeros(cfg.n_speech))
            self.register_buffer("speech_scale", torch.ones(cfg.n_speech))

    def set_speech_norm(self, mean: torch.Tensor, scale: torch.Tensor) -> None:
        self.speech_mean.copy_(mean)
        self.speech_scale.copy_(scale)

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        """Network input (B, T, n_inputs): the speech stream's columns to zero mean, unit scale."""
        if not self.cfg.n_speech:
            return x
        m = self.cfg.n_mels
        return torch.cat([x[..., :m], (x[..., m:] - self.speech_mean) / self.speech_scale], -1)

    def init_output(self, mean_pose: torch.Tensor) -> None:
        """Start the output at the training data's mean pose: no channel starts saturated (a
        sigmoid stuck near 0 or 1 has no gradient and never recovers)."""
        p = mean_pose.clamp(0.02, 0.98)
        with torch.no_grad():
            self.base_head.bias.copy_(torch.log(p / (1 - p)))
            self.base_head.weight.mul_(0.1)

    def encode_content(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, T, n_inputs) -> content features (B, H, T)."""
        return self.content(self.standardise(mel).transpose(1, 2))

    def emotion_logits(self, mel: torch.Tensor) -> torch.Tensor:
        """Per-frame emotion class logits (B, T, n_emotions)."""
        return self.classifier(self.emotion(self.standardise(mel).transpose(1, 2))).transpose(1, 2)

    def auto_emotion(self, mel: torch.Tensor) -> torch.Tensor:
        """The voice's own emotion, as probabilities smoothed over ~2 s: (B, T, n_emotions)."""
        logits = self.emotion_logits(mel).transpose(1, 2)
        k = self.cfg.emotion_pool
        smooth = F.avg_pool1d(logits, k, stride=1, padding=k // 2, count_include_pad=False)
        return smooth.softmax(1).transpose(1, 2)

    def decode(self, content: torch.Tensor, emotion: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """content (B, H, T), emotion (B, n_emotions) or (B, T, n_emotions) already scaled by
        intensity (column 0, neutral, is ignored), style (B,) ids -> logits (B, T, n_outputs).
        Per frame is what generation uses (emotion keys, the voice's reading); constant, training."""
        h = self.decoder(content + self.style(style)[:, :, None])
        base = self.base_head(h)                                       # (B, K, T)
        b, _, t = base.shape
        delta = self.delta_head(h).view(b, self.cfg.n_emotions - 1, self.cfg.n_outputs, t)
        if emotion.dim() == 2:                                         # constant over time
            weights = emotion[:, 1:, None, None]
        else:                                                          # per frame
            weights = emotion[:, :, 1:].transpose(1, 2)[:, :, None, :]
        return (base + (delta * weights).sum(1)).transpose(1, 2)

    def forward(self, mel: torch.Tensor, emotion: torch.Tensor | None, style: torch.Tensor,
                intensity: torch.Tensor) -> torch.Tensor:
        """Blendshape weights (B, T, n_outputs) in [0, 1]. emotion: one-hot/probabilities (B, E)
        or None for the voice's own reading; intensity (B,)."""
        if emotion is None:
            emotion = self.auto_emotion(mel) * intensity[:, None, None]
        else:
            emotion = emotion * intensity[:, None]
        return torch.sigmoid(self.decode(self.encode_content(mel), emotion, style))

    def predict(self, mel: np.ndarray, conditioning: np.ndarray, style: int) -> np.ndarray:
        """One utterance (T, n_inputs) and its (T, n_emotions) emotion x intensity -> (T, n_outputs)
        float32: the runtime interface streaming uses, shared with the torch-free NumpyTalkNet."""
        device = next(self.parameters()).device
        emotion = torch.as_tensor(conditioning, dtype=torch.float32, device=device)[None]
        with torch.inference_mode():
            mel_t = torch.as_tensor(mel, device=device)[None]
            y = torch.sigmoid(self.decode(self.encode_content(mel_t), emotion,
                                          torch.tensor([style], device=device)))
        return y[0].float().cpu().numpy()

    def predict_emotion(self, mel: np.ndarray) -> np.ndarray:
        """One utterance (T, n_inputs) -> the voice's own emotion probabilities (T, n_emotions)."""
        device = next(self.parameters()).device
        with torch.inference_mode():
            return self.auto_emotion(torch.as_tensor(mel, device=device)[None])[0].float().cpu().numpy()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
