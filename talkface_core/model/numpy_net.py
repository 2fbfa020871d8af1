"""The generator's forward pass in plain numpy, from the same checkpoint tensors as TalkNet.

Why a second forward pass: the Blender extension ships wheels to animators' machines, and
PyTorch is 100 MB to several GB per platform. The network is small (convolutions, LayerNorm,
GELU, a few 1x1 heads), so numpy runs it in real time on any laptop; PyTorch stays the
training framework and the fast path when it is installed (GPU). tests/test_numpy_runtime.py
holds the two to the same outputs on real speech.
"""
from __future__ import annotations

import numpy as np
from scipy.special import erf

from .config import NetConfig

_LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's default


def expected_shapes(cfg: NetConfig) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor a checkpoint of this config holds (TalkNet's state dict)."""
    shapes: dict[str, tuple[int, ...]] = {}

    def stack(prefix: str, n_in: int, ch: int, dilations: tuple[int, ...], first: int) -> None:
        if first == 1:
            shapes[f"{prefix}.0.weight"], shapes[f"{prefix}.0.bias"] = (ch, n_in, 3), (ch,)
        for i in range(len(dilations)):
            p = f"{prefix}.{i + first}"
            shapes[f"{p}.conv.weight"], shapes[f"{p}.conv.bias"] = (ch, ch, cfg.kernel), (ch,)
            shapes[f"{p}.norm.weight"], shapes[f"{p}.norm.bias"] = (ch,), (ch,)

    h, e = cfg.hidden, cfg.emotion_hidden
    stack("content", cfg.n_inputs, h, cfg.content_dilations, 1)
    stack("emotion", cfg.n_inputs, e, cfg.emotion_dilations, 1)
    stack("decoder", h, h, cfg.decoder_dilations, 0)
    shapes["classifier.weight"], shapes["classifier.bias"] = (cfg.n_emotions, e, 1), (cfg.n_emotions,)
    shapes["style.weight"] = (cfg.n_styles, h)
    shapes["base_head.weight"], shapes["base_head.bias"] = (cfg.n_outputs, h, 1), (cfg.n_outputs,)
    n_delta = (cfg.n_emotions - 1) * cfg.n_outputs
    shapes["delta_head.weight"], shapes["delta_head.bias"] = (n_delta, h, 1), (n_delta,)
    if cfg.n_speech:
        shapes["speech_mean"] = shapes["speech_scale"] = (cfg.n_speech,)
    return shapes


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, dilation: int) -> np.ndarray:
    """Same-length dilated convolution over time; x (T, C_in), weight (C_out, C_in, k).
    The k shifted copies side by side make it one matrix product (BLAS does the work)."""
    c_out, c_in, k = weight.shape
    pad = dilation * (k - 1) // 2
    xp = np.pad(x, ((pad, pad), (0, 0)))
    t = x.shape[0]
    cols = np.concatenate([xp[j * dilation:j * dilation + t] for j in range(k)], axis=1)
    return cols @ weight.transpose(2, 1, 0).reshape(k * c_in, c_out) + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _moving_average(x: np.ndarray, k: int) -> np.ndarray:
    """Centred mean over k frames, counting only frames inside the signal (avg_pool1d with
    count_include_pad=False)."""
    half = k // 2
    c = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0, dtype=np.float64)])
    idx = np.arange(x.shape[0])
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, x.shape[0])
    return ((c[hi] - c[lo]) / (hi - lo)[:, None]).astype(np.float32)


class NumpyTalkNet:
    """TalkNet's inference forward pass on numpy arrays (float32, one utterance at a time)."""

    def __init__(self, cfg: NetConfig, state: dict[str, np.ndarray]) -> None:
        self.cfg = cfg
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}

    def _residual(self, x: np.ndarray, prefix: str, dilation: int) -> np.ndarray:
        w = self.w
        y = _conv(x, w[f"{prefix}.conv.weight"], w[f"{prefix}.conv.bias"], dilation)
        mu = y.mean(1, keepdims=True)
        var = ((y - mu) ** 2).mean(1, keepdims=True)
        y = (y - mu) / np.sqrt(var + _LAYER_NORM_EPS) * w[f"{prefix}.norm.weight"] + w[f"{prefix}.norm.bias"]
        return x + _gelu(y)

    def _stack(self, x: np.ndarray, prefix: str, dilations: tuple[int, ...], first: int) -> np.ndarray:
        if first == 1:
            x = _conv(x, self.w[f"{prefix}.0.weight"], self.w[f"{prefix}.0.bias"], 1)
        for i, d in enumerate(dilations):
            x = self._residual(x, f"{prefix}.{i + first}", d)
        return x

    def _head(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"][:, :, 0].T + self.w[f"{name}.bias"]

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if not self.cfg.n_speech:
            return x
        m = self.cfg.n_mels
        return np.concatenate([x[:, :m], (x[:, m:] - self.w["speech_mean"]) / self.w["speech_scale"]], 1)

    def predict_emotion(self, mel: np.ndarray) -> np.ndarray:
        """The voice's own emotion, probabilities smoothed over ~2 s: (T, n_emotions)."""
        hidden = self._stack(self._standardise(mel), "emotion", self.cfg.emotion_dilations, 1)
        logits = self._head(hidden, "classifier")
        smooth = _moving_average(logits, self.cfg.emotion_pool)
        e = np.exp(smooth - smooth.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def predict(self, mel: np.ndarray, conditioning: np.ndarray, style: int) -> np.ndarray:
        """(T, n_inputs) network input and (T, n_emotions) emotion x intensity -> (T, n_outputs)
        weights in [0, 1], as TalkNet.predict."""
        cfg = self.cfg
        content = self._stack(self._standardise(mel), "content", cfg.content_dilations, 1)
        h = self._stack(content + self.w["style.weight"][style], "decoder", cfg.decoder_dilations, 0)
        base = self._head(h, "base_head")
        delta = self._head(h, "delta_head").reshape(len(h), cfg.n_emotions - 1, cfg.n_outputs)
        emotion = np.asarray(conditioning, dtype=np.float32)[:, 1:]   # neutral (column 0) adds nothing
        logits = base + np.einsum("tek,te->tk", delta, emotion)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
