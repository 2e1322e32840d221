"""Where work runs (plans per group of files, time chunks of videos): in this process, a local
process pool, or a Ray cluster.

All three yield results as they complete, so the parent can store each one and
move a progress bar. The work function must be a module-level function taking
``(item, options)``. Ray is imported only when chosen (the ``distributed`` extra).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from roadcam.errors import DependencyError, UsageError

log = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")


@contextmanager
def local_pool(
    workers: int, warm_up: Callable[[Any], Any] | None = None, options: Any = None
) -> Iterator[ProcessPoolExecutor | None]:
    """A local process pool started now, each worker running ``warm_up(options)`` first (build
    the detector, import the decoders) while the parent does its own serial start-up: both
    cores busy from the first second. ``None`` for one worker (work runs in this process)."""
    if workers <= 1:
        yield None
        return
    kwargs = {"initializer": warm_up, "initargs": (options,)} if warm_up else {}
    with ProcessPoolExecutor(max_workers=workers, **kwargs) as pool:
        for _ in range(workers):  # a submit with no idle worker starts one: all start now
            pool.submit(int)
        yield pool


def map_unordered(
    func: Callable[[Any, Any], Any],
    items: Sequence[Any],
    options: Any,
    *,
    executor: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[Any]:
    """Run ``func(item, options)`` for every item and yield results as they finish
    (locally in ``pool`` when given, else in a pool started for this call)."""
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r} (choose from {', '.join(EXECUTORS)})")
    if workers < 1:
        raise UsageError("--workers must be >= 1")
    if not items:
        return
    if executor == "ray":
        yield from _map_ray(func, items, options, workers, ray_address)
    elif workers == 1 or len(items) == 1:
        for item in items:
            yield func(item, options)
    elif pool is not None:
        futures = [pool.submit(func, item, options) for item in items]
        for fut in as_completed(futures):
            yield fut.result()
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(items))) as pool:
            futures = [pool.submit(func, item, options) for item in items]
            for fut in as_completed(futures):
                yield fut.result()


def _map_ray(func, items, options, workers: int, address: str | None) -> Iterator[Any]:
    try:
        import ray
    except ImportError as err:
        raise DependencyError(
            "the ray executor needs the distributed extra: pip install 'roadcam[distributed]'"
        ) from err
    started_here = not ray.is_initialized()
    if started_here:
        init_kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            init_kwargs["address"] = address
        else:
            # a local Ray stays on loopback
            init_kwargs.update(num_cpus=workers, _node_ip_address="127.0.0.1")
        ray.init(**init_kwargs)
    try:
        remote = ray.remote(num_cpus=1)(func)
        pending = [remote.remote(item, options) for item in items]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()
