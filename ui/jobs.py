"""Heavy jobs started from the browser (an evaluation, a training run): one of each kind at a
time for the whole app, whoever asks, with a clear "already running" for everyone else."""

from __future__ import annotations

import logging
import threading
import time
import uuid

log = logging.getLogger(__name__)


def new_session_id() -> str:
    """A browser session's id, chosen here (random, 128 bits), never taken from the browser:
    it names the session's exports and votes and owns the jobs it starts."""
    return uuid.uuid4().hex


class Job:
    """One kind of heavy job. `start` claims it (False while another run holds it), `finish`
    frees it; `stop` asks the running one to end early (only its owner may set it)."""

    def __init__(self, what: str) -> None:
        self.what = what  # e.g. "An evaluation"
        self._lock = threading.Lock()
        self.owner: str | None = None
        self.started = 0.0
        self.stop = threading.Event()

    def start(self, owner: str) -> bool:
        if not self._lock.acquire(blocking=False):
            log.info("%s refused: one is already running", self.what)
            return False
        self.owner, self.started = owner, time.monotonic()
        self.stop.clear()
        log.info("%s started", self.what)
        return True

    def finish(self) -> None:
        self.owner = None
        self._lock.release()

    def halt(self, owner: str) -> bool:
        """Ask the running job to stop, if `owner` started it."""
        if self.owner is None or self.owner != owner:
            return False
        self.stop.set()
        return True

    def busy(self) -> str:
        """The message for someone who asks while a run is going on."""
        minutes = (time.monotonic() - self.started) / 60
        return (
            f"{self.what} is already running (started {minutes:.0f} min ago; one at a time for "
            "everyone using this app). Try again when it has finished."
        )
