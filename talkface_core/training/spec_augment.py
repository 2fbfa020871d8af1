"""Log-mel augmentation during training: the speaker and microphone variation the per-utterance
normalisation does not remove."""
from __future__ import annotations

import torch

from ..model.log_mel import N_MELS


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
