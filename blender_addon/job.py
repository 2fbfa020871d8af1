"""Run talkface_core.generate for a list of clip requests in a worker thread (no bpy in here).

Blender's data must only be touched from the main thread, so the worker only produces Animation
objects; the modal operator polls `progress`, and applies `results` when `done`.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talkface_core.animation import Animation
    from talkface_core.request import GenerationRequest

Generate = Callable[..., "Animation"]  # talkface_core.generate's signature


@dataclass(frozen=True)
class ClipRequest:
    """One clip's generation: which clip (by id, so a renamed clip still matches), its audio, and
    the validated request."""

    clip_id: str
    label: str
    audio: str
    request: GenerationRequest


def _engine_generate() -> Generate:
    from talkface_core import generate  # imported on first use: the engine loads numpy, scipy, ...

    return generate


class Job:
    """Generates each request in turn; cancel() stops it between model windows."""

    def __init__(self, requests: list[ClipRequest], generate: Generate | None = None):
        self.requests = requests
        self._generate = generate
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._fraction = 0.0
        self._label = ""
        self.results: list[tuple[ClipRequest, Animation]] = []
        self.error: str | None = None
        self.cancelled = False
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="talkface-generate", daemon=True)

    def start(self) -> Job:
        self._thread.start()
        return self

    def run_here(self) -> Job:
        """Run synchronously in the calling thread (operator execute, scripts, tests)."""
        self._run()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def progress(self) -> tuple[float, str]:
        with self._lock:
            return self._fraction, self._label

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _set_progress(self, fraction: float, label: str) -> None:
        with self._lock:
            self._fraction, self._label = fraction, label

    def _run(self) -> None:
        n = len(self.requests)
        try:
            generate = self._generate or _engine_generate()
            for i, req in enumerate(self.requests):
                def on_progress(done: int, total: int, i: int = i, label: str = req.label) -> None:
                    self._set_progress((i + done / max(total, 1)) / n, label)

                self._set_progress(i / n, req.label)
                anim = generate(req.audio, req.request, progress=on_progress, cancel=self._cancel.is_set)
                if self._cancel.is_set():
                    raise _Stop
                self.results.append((req, anim))
            self._set_progress(1.0, "done")
        except Exception as exc:  # noqa: BLE001 - reported to the user in Blender, not swallowed
            if self._cancel.is_set():
                self.cancelled = True
                self.results.clear()
            elif isinstance(exc, ImportError):
                self.error = (f"{exc}: the extension's bundled packages are incomplete; reinstall "
                              "TalkFace (its CPU generation needs no extra packages)")
            else:
                self.error = f"{type(exc).__name__}: {exc}"
            self._set_progress(1.0, "cancelled" if self.cancelled else "failed")
        finally:
            self._finished.set()


class _Stop(Exception):
    """Cancelled after the last window of a clip (generate returned normally)."""
