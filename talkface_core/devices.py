"""Where the network runs: "cpu" (the numpy forward pass, no PyTorch needed), "torch-cpu" and
"cuda[:N]" (PyTorch), or "auto" (a CUDA GPU when PyTorch is installed and sees one, else "cpu").
One rule for generation, training and the bench."""
from __future__ import annotations

from types import ModuleType

DEVICES = ("auto", "cpu", "torch-cpu", "cuda")


def torch_or_none() -> ModuleType | None:
    """PyTorch if it is installed (it is optional at run time), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def check_device_name(device: str) -> str:
    """The name itself, or ValueError: cheap, touches no library (for early option checks)."""
    device = str(device)
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ValueError(f"device must be one of {', '.join(DEVICES)} (or cuda:N), got {device!r}")
    return device


def resolve_device(device: str = "auto") -> str:
    """"cpu", "torch-cpu" or "cuda[:N]"; a clear error for a device this machine lacks."""
    device = check_device_name(device)
    if device == "cpu":
        return device
    torch = torch_or_none()
    if device == "auto":
        return "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    if torch is None:
        raise ValueError(f"device {device!r} needs PyTorch, which is not installed; use 'cpu'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but no CUDA GPU is available; use 'cpu' or 'auto'")
    return device
