"""The local pool and Ray executors give the same results as running in-process."""

import pytest

from pipeline.discover import sha256_of_file
from pipeline.executors import map_unordered
from roadcam.errors import UsageError


def square_plus(item, options):
    return item * item + options


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor(workers):
    assert sorted(map_unordered(square_plus, [1, 2, 3], 10, workers=workers)) == [11, 14, 19]


def test_bad_executor_options():
    with pytest.raises(UsageError):
        list(map_unordered(square_plus, [1], 0, executor="dask"))
    with pytest.raises(UsageError):
        list(map_unordered(square_plus, [1], 0, workers=0))


@pytest.mark.slow
def test_ray_executor_runs_the_same_work(tmp_path):
    import ray  # noqa: F401 - the distributed extra; make test installs it

    # Ray workers import the function by module name, so use one from the package
    paths = []
    for k in range(3):
        paths.append(tmp_path / f"{k}.bin")
        paths[-1].write_bytes(bytes([k]) * 1000)
    local = sorted(map_unordered(sha256_of_file, paths, 64))
    assert sorted(map_unordered(sha256_of_file, paths, 64, executor="ray", workers=2)) == local


def _mark_warm(options):
    import os

    os.environ["ROADCAM_TEST_WARM"] = str(options)


def _warm_value(item, options):
    import os

    return os.environ.get("ROADCAM_TEST_WARM"), item + options


def test_local_pool_warms_every_worker_before_work():
    from pipeline.executors import local_pool

    with local_pool(2, _mark_warm, 5) as pool:
        got = sorted(map_unordered(_warm_value, [1, 2, 3, 4], 5, workers=2, pool=pool))
    assert got == [("5", 6), ("5", 7), ("5", 8), ("5", 9)]
    with local_pool(1, _mark_warm, 5) as pool:
        assert pool is None  # one worker: work runs in this process
