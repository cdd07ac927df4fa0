"""Background work with progress and cancel (concurrent.futures). No Qt: the GUI polls tasks on a timer."""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


class Task:
    """One background job. The worker calls `report`/`cancelled`; the GUI reads `progress`/`message`."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.progress = 0.0
        self.message = ""
        self.started = time.perf_counter()
        self._cancel = threading.Event()
        self.future: Future | None = None

    def report(self, fraction: float, message: str = "") -> None:
        self.progress = float(min(1.0, max(0.0, fraction)))
        if message:
            self.message = message

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self.future is not None and self.future.done()


class TaskRunner:
    """A small pool: loads run side by side, the GUI thread never waits on them."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twinscape-task")
        self.tasks: list[Task] = []

    def submit(self, label: str, fn: Callable[[Task], Any]) -> Task:
        task = Task(label)
        task.future = self._pool.submit(fn, task)
        self.tasks.append(task)
        return task

    def pop_finished(self) -> list[Task]:
        done = [t for t in self.tasks if t.done]
        self.tasks = [t for t in self.tasks if not t.done]
        return done

    def shutdown(self) -> None:
        for task in self.tasks:
            task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
