"""Run talkface_core.generate for a list of clips in a worker thread (no bpy in here).

Blender's data must only be touched from the main thread, so the worker only produces Animation
objects; the modal operator polls `progress`, and applies `results` when `done`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Request:
    clip_id: str
    label: str
    audio: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def _default_generate(*args, **kwargs):
    from talkface_core import generate

    return generate(*args, **kwargs)


class Job:
    """Generates each request in turn; cancel() stops it between model windows."""

    def __init__(self, requests: list[Request], generate: Callable[..., Any] = _default_generate):
        self.requests = requests
        self._generate = generate
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._fraction = 0.0
        self._label = ""
        self.results: list[tuple[Request, Any]] = []
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
            for i, req in enumerate(self.requests):
                def on_progress(done: int, total: int, i: int = i, label: str = req.label) -> None:
                    self._set_progress((i + done / max(total, 1)) / n, label)

                self._set_progress(i / n, req.label)
                anim = self._generate(req.audio, progress=on_progress, cancel=self._cancel.is_set,
                                      **req.kwargs)
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
