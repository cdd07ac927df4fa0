"""The dask cluster a tiling job runs on: an existing scheduler reached within a bounded time,
or a LocalCluster on loopback whose worker processes leave Ctrl-C to this process.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from loaders.base import LoadError

SCHEDULER_TIMEOUT_S = 15.0  # connect + dask handshake + client start, all together
SCHEDULER_TIMEOUT_ENV = "TWINSCAPE_SCHEDULER_TIMEOUT"


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def scheduler_timeout(value: float | None = None) -> float:
    """The bound on reaching a scheduler: the argument, else $TWINSCAPE_SCHEDULER_TIMEOUT, else 15 s."""
    if value is not None:
        return float(value)
    try:
        env = float(os.environ.get(SCHEDULER_TIMEOUT_ENV, ""))
        return env if env > 0 else SCHEDULER_TIMEOUT_S
    except ValueError:
        return SCHEDULER_TIMEOUT_S


def _quiet_logs() -> None:
    """Task failures reach the user as `error:` lines; dask's and tornado's logs of them are noise."""
    import logging

    # distributed's own config sets tornado.application to ERROR, so the parent's level is not enough
    for name in ("distributed", "tornado", "tornado.application"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")  # read by spawned worker processes


def _probe(address: str, timeout: float) -> None:
    """Connect and complete dask's handshake within `timeout`: distributed bounds the TCP connect
    but waits for the handshake reply forever, so a port that accepts and never answers (an
    HTTP server, a firewall proxy) would hang Client() for good."""
    import asyncio

    from distributed.comm import connect

    async def go() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    async def bounded() -> None:
        await asyncio.wait_for(go(), timeout)

    try:
        asyncio.run(bounded())
    except (asyncio.TimeoutError, TimeoutError):
        raise LoadError(address, f"cannot reach the dask scheduler: no answer within {timeout:g} s "
                                 "(is it a dask scheduler?)") from None
    except Exception as exc:  # noqa: BLE001 - OSError, CommClosedError, a bad address
        raise LoadError(address, f"cannot reach the dask scheduler ({type(exc).__name__}: {exc})") from None


@contextmanager
def _sigint_ignored_in_children(active: bool) -> Iterator[None]:
    """Spawned worker processes inherit an ignored SIGINT (Python then installs no
    KeyboardInterrupt handler), so Ctrl-C reaches only this process, which closes the cluster;
    without this every worker prints two tracebacks. Restored as soon as they are started."""
    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def client_for(scheduler: str | None, workers: int, processes: bool, timeout: float | None = None) -> Iterator:
    """An existing cluster, or a LocalCluster on loopback that is always closed again."""
    from distributed import Client, LocalCluster

    _quiet_logs()
    if scheduler:
        bound = scheduler_timeout(timeout)
        t0 = time.monotonic()
        _probe(scheduler, bound)
        left = max(1.0, bound - (time.monotonic() - t0))
        try:
            client = Client(scheduler, timeout=f"{left}s")
        except Exception as exc:  # noqa: BLE001 - OSError/TimeoutError: no scheduler there
            raise LoadError(scheduler, f"cannot reach the dask scheduler ({type(exc).__name__}: {exc})") from None
        with client:
            yield client
        return

    def local(procs: bool) -> LocalCluster:  # ":0": a free loopback port for the HTTP server, no clash on 8787
        with _sigint_ignored_in_children(procs):
            return LocalCluster(n_workers=workers, threads_per_worker=1, processes=procs, host="127.0.0.1",
                                protocol="tcp", dashboard_address=":0")

    try:
        cluster = local(processes)
    except Exception:  # noqa: BLE001 - worker processes cannot start (e.g. __main__ not importable): threads still work
        if not processes:
            raise
        cluster = local(False)
    with cluster, Client(cluster) as client:
        yield client
