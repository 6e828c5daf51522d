"""Placing documents on a Dask cluster (``fit_topics(..., engine="dask")``; private).

The model is fitted on a sample in this process; the documents are then embedded (when no
vectors are given) and placed partition by partition on the cluster's workers with the same
function the local engine uses (`voc._topic_engine.assign_partition`), so the assignments
equal the local ones. Only labels, scores and per-topic term counts come back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from voc._topic_engine import FittedKMeans, assign_partition

__all__ = ["assign_dask", "dask_client"]


@contextlib.contextmanager
def dask_client(scheduler: Any = None) -> Iterator[Any]:
    """A ``dask.distributed.Client`` for *scheduler*, closed afterwards if opened here.

    ``None``: a ``LocalCluster`` with one single-threaded worker process per core; an int:
    a ``LocalCluster`` with that many workers; a string: the address of a running
    scheduler (``"tcp://10.0.0.5:8786"``); a ``Client``: used as it is (not closed).
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - distributed is a core dependency
        raise ImportError("engine='dask' needs dask.distributed: pip install distributed") from err
    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None or (isinstance(scheduler, int) and not isinstance(scheduler, bool)):
        if scheduler is not None and scheduler < 1:
            raise ValueError(f"scheduler as a number of workers must be >= 1; got {scheduler}")
        cluster = LocalCluster(
            n_workers=scheduler,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if isinstance(scheduler, str):
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    raise TypeError(
        "scheduler must be None (a local cluster), a number of workers, a scheduler address "
        f"or a dask.distributed.Client; got {type(scheduler).__name__}"
    )


def assign_dask(
    fitted: FittedKMeans,
    texts: list[str],
    vectors: np.ndarray | None,
    *,
    scheduler: Any = None,
    partition_size: int,
) -> tuple[np.ndarray, np.ndarray, Any]:
    """`assign_partition` over consecutive partitions on a Dask cluster, results in order."""
    with dask_client(scheduler) as client:
        shared = client.scatter(fitted, broadcast=True)
        futures = []
        for start in range(0, len(texts), partition_size):
            stop = min(start + partition_size, len(texts))
            part = None if vectors is None else vectors[start:stop]
            futures.append(
                client.submit(assign_partition, shared, texts[start:stop], part, pure=False)
            )
        results = client.gather(futures)
    labels = np.concatenate([r[0] for r in results])
    scores = np.concatenate([r[1] for r in results])
    per_cluster = results[0][2]
    for r in results[1:]:
        per_cluster = per_cluster + r[2]
    return labels, scores, per_cluster
