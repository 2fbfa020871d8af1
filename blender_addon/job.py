"""Run talkface_core.generate for a list of clip requests in a worker thread (no bpy in here).

Blender's data must only be touched from the main thread, so the worker only produces Animation
objects; the modal operator polls `progress`, and applies `results` when `done`. Each clip
succeeds or fails on its own (`results`, `errors`); cancelling discards them all.
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
        self.errors: list[tuple[ClipRequest, str]] = []  # clips that failed, with why
        self.error: str | None = None  # the whole job failed (the engine cannot run at all)
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
        try:
            self._generate_all(self._generate or _engine_generate())
        except ImportError as exc:
            self.error = (f"{exc}: the extension's bundled packages are incomplete; reinstall "
                          "TalkFace (its CPU generation needs no extra packages)")
        finally:
            if self._cancel.is_set():
                self.cancelled = True
                self.results.clear()
                self.errors.clear()
            failed = self.cancelled or self.error is not None
            self._set_progress(1.0, "cancelled" if self.cancelled else "failed" if failed else "done")
            self._finished.set()

    def _generate_all(self, generate: Generate) -> None:
        n = len(self.requests)
        for i, req in enumerate(self.requests):
            if self._cancel.is_set():
                return

            def on_progress(done: int, total: int, i: int = i, label: str = req.label) -> None:
                self._set_progress((i + done / max(total, 1)) / n, label)

            self._set_progress(i / n, req.label)
            try:
                anim = generate(req.audio, req.request, progress=on_progress, cancel=self._cancel.is_set)
            except ImportError:
                raise  # every clip would fail the same way
            except Exception as exc:  # noqa: BLE001 - this clip fails, the others still run
                if self._cancel.is_set():
                    return
                # The engine's ValueErrors (AudioError, FlameError, ...) are written for users.
                self.errors.append((req, str(exc) if isinstance(exc, ValueError)
                                    else f"{type(exc).__name__}: {exc}"))
                continue
            self.results.append((req, anim))
