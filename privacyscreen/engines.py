"""Where a run's photos are screened: `processes`, a pool of processes on this machine (the
default, in `screen.run`), or `dask`, the workers of a Dask cluster: a local one started for the
run, or the one whose scheduler is at an address. Every engine maps the same per-photo function
(`Screener.screen`, with one Screener per worker process, made at its first photo), returns the
results in plan order, and leaves the report to the caller.

Dask (`distributed`) is optional, `pip install "privacyscreen[cluster]"`, and imported only when
a run uses it: importing privacyscreen never imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from . import __version__
from .messages import UserError

if TYPE_CHECKING:
    from distributed import Client

    from .screen import Screening, Settings

WAIT_FOR_WORKERS = 60  # seconds a scheduler may take to have a first worker


class Engine(StrEnum):
    PROCESSES = "processes"  # a pool of processes on this machine (concurrent.futures)
    DASK = "dask"  # the workers of a Dask cluster (dask.distributed)


def on_dask(
    jobs: list[tuple[Path, Path, Path]],
    settings: Settings,
    progress: Callable[[Screening], None] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> list[Screening]:
    """Screen every job of a plan on a Dask cluster: the one whose scheduler is at `scheduler`, or
    else a local cluster of `workers` processes with one thread each, started for this run and
    closed after it. Each worker process makes its Screener at its first photo, with one inference
    thread unless `settings` name more. The paths are sent absolute (a worker's working folder is
    not ours): every worker must see the inputs and the output folder at the same paths. Results
    keep plan order, and `progress` is called for each in that order."""
    from . import models, screen

    distributed = dask_distributed()
    if not jobs:
        return []
    register = settings.register and settings.register.absolute()
    settings = replace(settings, threads=settings.threads or 1, progress=False, register=register)
    sent = [(source.absolute(), dest.absolute(), held.absolute()) for source, dest, held in jobs]
    if scheduler is None:
        models.check()  # here once, rather than in every worker of the local cluster
    results: list[Screening] = []
    with connected(distributed, scheduler, max(1, min(workers, len(jobs)))) as client:
        same_version(client)
        futures = client.map(screen.screen_in_process, sent, settings=settings, pure=False)
        for (source, _, _), future in zip(jobs, futures):
            result = future.result()
            result.source = source  # as the plan names it, not as it was sent
            results.append(result)
            if progress:
                progress(result)
    return results


def dask_distributed() -> ModuleType:
    """The `distributed` module; a clear error when it is not installed."""
    try:
        import distributed
    except ImportError:
        raise UserError("engine-dask-missing") from None
    return distributed


@contextmanager
def connected(distributed: ModuleType, scheduler: str | None, workers: int) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, once it has a worker; else of a local cluster of
    `workers` processes, one thread each, without a dashboard or memory limit (as the process pool)."""
    if scheduler is None:
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None, memory_limit=0,
                                      silence_logs=logging.ERROR) as cluster:  # fmt: skip
            with distributed.Client(cluster) as client:
                yield client
        return
    try:
        client = distributed.Client(scheduler)
    except (OSError, ValueError):  # cannot connect (OSError, also on a time-out), or not an address
        raise UserError("engine-dask-scheduler", address=scheduler) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise UserError("engine-dask-no-workers", address=scheduler, seconds=WAIT_FOR_WORKERS) from None
        yield client


def same_version(client: Client) -> None:
    """Raise a UserError when a worker runs another version of privacyscreen than this one."""
    other = {address: v for address, v in client.run(installed_version).items() if v != __version__}
    if other:
        workers = ", ".join(f"{address} ({v})" for address, v in sorted(other.items()))
        raise UserError("engine-dask-version", version=__version__, workers=workers)


def installed_version() -> str:
    """The version of privacyscreen where this runs: sent to a worker by name, the worker's."""
    return __version__
