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
