"""4D: what each linked element looks like at a moment of the schedule (no Qt, no VTK).

Profiles per task type, as in Navisworks TimeLiner (a task is in progress while start <= t < finish,
done from its finish on):

    type        before      in progress              after
    construct   HIDDEN      IN_PROGRESS (amber, translucent)  NORMAL
    demolish    NORMAL      DEMOLISHING (red)        HIDDEN
    temporary   HIDDEN      TEMPORARY (yellow)       HIDDEN

An element in several tasks takes one combined state (the rule, in order):
1. while any of its tasks is in progress: DEMOLISHING over IN_PROGRESS over TEMPORARY;
2. else, once some task has finished: the 'after' state of the task that finished last
   (built then demolished -> hidden; formwork done, pour not yet started -> normal; a temporary
   task that ends after the element's construction hides it: it was temporary);
3. else (nothing started): the 'before' state of its earliest task (a demolition target stands).
Equal times are ordered as the tasks are in the schedule (the later task counts as last).
Elements in no task keep NORMAL.

Everything that does not depend on the clock is done once: per element, the start and finish times
of its tasks are sorted into one flat array keyed by element, with running counts per task type.
A clock step is then two `searchsorted` calls over all elements plus a few gathers.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import numpy as np

from loaders.schedule import TASK_TYPES, Task

HIDDEN, NORMAL, IN_PROGRESS, DEMOLISHING, TEMPORARY = 0, 1, 2, 3, 4
STATE_NAMES = ("hidden", "normal", "in_progress", "demolishing", "temporary")
APPEARANCE = {  # state -> (RGB 0..1 or None for the element's own colour, opacity)
    HIDDEN: (None, 0.0), NORMAL: (None, 1.0), IN_PROGRESS: ((1.0, 0.65, 0.0), 0.5),
    DEMOLISHING: ((0.85, 0.1, 0.1), 1.0), TEMPORARY: ((1.0, 0.9, 0.1), 1.0),
}
_BEFORE = np.array([HIDDEN, NORMAL, HIDDEN], dtype=np.int8)  # indexed by TASK_TYPES position
_DURING = np.array([IN_PROGRESS, DEMOLISHING, TEMPORARY], dtype=np.int8)
_AFTER = np.array([NORMAL, HIDDEN, HIDDEN], dtype=np.int8)
NOT_STARTED, STARTED, COMPLETE = 0, 1, 2
DATES = {"planned": ("start", "finish"), "actual": ("actual_start", "actual_finish"), "baseline": ("baseline_start", "baseline_finish")}
_NEVER = np.iinfo(np.int64).max // 4


def _seconds(when: datetime) -> int:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("4D needs a time-zone aware datetime (got a naive one)")
    return int(when.timestamp())


def task_times(tasks: Sequence[Task], dates: str = "planned") -> tuple[np.ndarray, np.ndarray]:
    """(start, finish) in integer seconds since 1970 UTC. A task without a start never starts; one
    without a finish (actual dates of work under way) never finishes; a finish before the start is
    read as finishing at its start."""
    a, b = DATES[dates]
    start = np.array([_seconds(getattr(t, a)) if getattr(t, a) else _NEVER for t in tasks], dtype=np.int64)
    finish = np.array([_seconds(getattr(t, b)) if getattr(t, b) else _NEVER for t in tasks], dtype=np.int64)
    return start, np.maximum(start, finish)


class _Clock:
    """Integer seconds rebased to the schedule's first event, so `element * stride + time` is an exact
    int64 key: sorted by element, then time; a task that never starts or ends sits past every query."""

    def __init__(self, times: np.ndarray, n_elements: int) -> None:
        finite = times[times < _NEVER]
        self.t0 = int(finite.min()) if len(finite) else 0
        self.span = int(finite.max()) - self.t0 if len(finite) else 0
        self.stride = self.span + 4
        if self.stride * max(n_elements, 1) >= 2**62:
            raise ValueError("schedule spans too long a time for this many elements")

    def rel(self, times: np.ndarray | int) -> np.ndarray:
        t = np.asarray(times, dtype=np.int64)
        return np.where(t >= _NEVER, self.span + 2, np.clip(t - self.t0, -1, self.span + 1))


class _Events:
    """Per-element sorted event times in one flat array, keyed so one searchsorted answers all elements."""

    def __init__(self, element: np.ndarray, times: np.ndarray, kinds: np.ndarray, task: np.ndarray, n_elements: int,
                 clock: _Clock) -> None:
        self.clock = clock
        key = element * clock.stride + clock.rel(times)
        order = np.lexsort((task, key))  # equal times: schedule order
        self.key, self.kinds = key[order], kinds[order]
        self.first = np.searchsorted(self.key, np.arange(n_elements + 1, dtype=np.int64) * clock.stride)  # segment bounds
        onehot = np.zeros((len(order) + 1, 3), dtype=np.int32)
        onehot[1:][np.arange(len(order)), self.kinds] = 1
        self.cum = np.cumsum(onehot, axis=0)  # cum[k] = events of each type among the first k
        self.base = np.arange(n_elements, dtype=np.int64) * clock.stride

    def count(self, t: int) -> np.ndarray:
        """Index just past each element's events at or before t (the segment's start when none)."""
        rel = min(max(t - self.clock.t0, -1), self.clock.span + 1)
        return np.searchsorted(self.key, self.base + rel, side="right")


class FourD:
    """States of `n_elements` elements linked to `tasks` by index pairs, at any moment."""

    def __init__(self, tasks: Sequence[Task], element: np.ndarray, task: np.ndarray, n_elements: int, *, dates: str = "planned") -> None:
        element, task = np.asarray(element, dtype=np.int64), np.asarray(task, dtype=np.int64)
        start, finish = task_times(tasks, dates)
        kind = np.array([TASK_TYPES.index(t.task_type) if t.task_type in TASK_TYPES else 0 for t in tasks], dtype=np.int64)
        keep = start[task] < _NEVER  # links to a task that never starts (no date) change nothing
        element, task = element[keep], task[keep]
        self.n_elements = n_elements
        self.linked = np.zeros(n_elements, dtype=bool)
        self.linked[element] = True
        self.tasks_per_element = np.bincount(element, minlength=n_elements)
        clock = _Clock(np.concatenate([start[task], finish[task]]), n_elements)
        self.starts = _Events(element, start[task], kind[task], task, n_elements, clock)
        self.finishes = _Events(element, finish[task], kind[task], task, n_elements, clock)
        # the 'before' state: that of each element's earliest task (first in its sorted starts)
        self.before = np.full(n_elements, NORMAL, dtype=np.int8)
        has = self.linked & (self.tasks_per_element > 0)
        self.before[has] = _BEFORE[self.starts.kinds[self.starts.first[:-1][has]]]

    @classmethod
    def from_links(cls, schedule: Any, links: Any, n_elements: int, *, dates: str = "planned") -> "FourD":
        """From a loaders.schedule.Schedule and an app.model.schedule_links.TaskLinks."""
        return cls(schedule.tasks, links.element, links.task, n_elements, dates=dates)

    def states(self, when: datetime) -> np.ndarray:
        """(n_elements,) int8 of HIDDEN/NORMAL/IN_PROGRESS/DEMOLISHING/TEMPORARY at `when` (aware)."""
        t = _seconds(when)
        s_idx, f_idx = self.starts.count(t), self.finishes.count(t)
        s0, f0 = self.starts.first[:-1], self.finishes.first[:-1]
        active = (self.starts.cum[s_idx] - self.starts.cum[s0]) - (self.finishes.cum[f_idx] - self.finishes.cum[f0])
        out = self.before.copy()
        done = f_idx > f0
        out[done] = _AFTER[self.finishes.kinds[f_idx[done] - 1]]
        out[active[:, 2] > 0] = TEMPORARY
        out[active[:, 0] > 0] = IN_PROGRESS
        out[active[:, 1] > 0] = DEMOLISHING
        return out

    def progress(self, when: datetime) -> np.ndarray:
        """Planned progress per element: NOT_STARTED, STARTED (a task has started) or COMPLETE (all its
        tasks finished by `when`). Elements in no task are NOT_STARTED."""
        t = _seconds(when)
        started = self.starts.count(t) - self.starts.first[:-1]
        finished = self.finishes.count(t) - self.finishes.first[:-1]
        out = np.where(started > 0, STARTED, NOT_STARTED).astype(np.int8)
        out[(finished >= self.tasks_per_element) & (self.tasks_per_element > 0)] = COMPLETE
        return out


def state_names(states: np.ndarray) -> list[str]:
    return [STATE_NAMES[s] for s in states]
