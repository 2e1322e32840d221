"""Two batches at once on one database give the database of one batch after the other.

Each batch runs in its own process (``batch_worker.py``: ``roadcam process`` with the
oracle detector), as two ``roadcam process`` commands would. The workers hold for a
moment after reading the stored defects they merge into, so without the merge lock
(:mod:`store.locks`) both would read the same defects every time: the same footage
twice doubled every ``sightings``. A batch killed with SIGKILL and run again loses
and duplicates nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sample_oracle import SAMPLE, process_with_oracle

from pipeline.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("batch_worker.py")
DRIVE1, DRIVE2 = SAMPLE / "drive1.mp4", SAMPLE / "drive2.mp4"


def _start(db: str, tmp: Path, *videos: Path, hold_s: float = 1.5) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(WORKER), db, str(tmp), *map(str, videos), f"--hold-s={hold_s}"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait(proc: subprocess.Popen) -> int:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    return proc.returncode


def snapshot(db: str) -> dict:
    """What a batch leaves behind: row counts, and every defect (class, segment, sightings, place)."""
    from sqlalchemy import func, select

    from store.defects import defect_lonlat, list_defects
    from store.engine import make_engine, session_scope
    from store.models import Frame, Observation, Survey, SurveySource

    engine = make_engine(db)
    with session_scope(engine) as s:

        def n(stmt):
            return int(s.scalar(stmt))

        counts = {
            "surveys": n(select(func.count()).select_from(Survey)),
            "sources": n(select(func.count()).select_from(SurveySource)),
            "frames": n(select(func.count()).select_from(Frame)),
            "observations": n(select(func.count()).select_from(Observation)),
            "linked": n(select(func.count(Observation.defect_id))),
        }
        defects = sorted(
            (
                d.class_name,
                d.segment_id or "",
                d.sightings,
                *(round(v, 6) for v in defect_lonlat(d)),
            )
            for d in list_defects(s, limit=None)
        )
        order = [
            Path(p).name
            for p in s.scalars(
                select(SurveySource.path).join(Survey).order_by(Survey.id, SurveySource.id)
            )
        ]
    engine.dispose()
    counts["defects"] = len(defects)
    counts["sightings"] = sum(d[2] for d in defects)
    return {"counts": counts, "defects": defects, "order": order}


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """Snapshots of one batch after the other, on SpatiaLite, cached by the order of the videos."""
    cache: dict[tuple[str, ...], dict] = {}

    def run(*videos: Path) -> dict:
        key = tuple(v.name for v in videos)
        if key not in cache:
            tmp = tmp_path_factory.mktemp("sequential")
            db = f"sqlite:///{tmp / 'seq.sqlite'}"
            assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
            for video in videos:
                assert process_with_oracle([video], db, tmp) == 0
            cache[key] = snapshot(db)
        return cache[key]

    return run


@pytest.fixture
def network_db(fresh_db_url):
    assert (
        main(["network", "load", str(SAMPLE / "network.geojson"), "--database", fresh_db_url]) == 0
    )
    return fresh_db_url


def assert_same(got: dict, want: dict) -> None:
    assert got["counts"] == want["counts"]
    assert len(got["defects"]) == len(want["defects"])
    for g, w in zip(got["defects"], want["defects"], strict=True):
        assert g[:3] == w[:3]
        assert abs(g[3] - w[3]) < 1e-6 and abs(g[4] - w[4]) < 1e-6  # ~0.1 m


def test_same_footage_twice_at_once_is_stored_once(network_db, tmp_path, sequential):
    a = _start(network_db, tmp_path / "a", DRIVE1)
    b = _start(network_db, tmp_path / "b", DRIVE1)
    _wait(a), _wait(b)
    got = snapshot(network_db)
    want = sequential(DRIVE1)
    assert got["counts"]["surveys"] == 1
    assert got["counts"]["sightings"] == got["counts"]["linked"]  # each observation counted once
    assert_same(got, want)


def test_two_drives_at_once_equal_one_after_the_other(network_db, tmp_path, sequential):
    a = _start(network_db, tmp_path / "a", DRIVE1)
    b = _start(network_db, tmp_path / "b", DRIVE2)
    _wait(a), _wait(b)
    got = snapshot(network_db)
    # the merge lock orders the two store steps; compare with that order run one after the other
    want = sequential(*(SAMPLE / name for name in got["order"]))
    assert got["counts"]["surveys"] == 2
    assert got["counts"]["sightings"] == got["counts"]["linked"]
    assert_same(got, want)


def test_killed_batch_rerun_loses_and_duplicates_nothing(network_db, tmp_path, sequential):
    from store.engine import make_engine, session_scope
    from store.surveys import list_surveys

    proc = _start(network_db, tmp_path / "k", DRIVE2, DRIVE1, hold_s=3.0)
    engine = make_engine(network_db)
    deadline = time.monotonic() + 240
    try:  # kill it while it holds the merge lock of its second item: the first is committed
        while time.monotonic() < deadline and proc.poll() is None:
            with session_scope(engine) as s:
                if any(sv.status == "done" for sv in list_surveys(s)):
                    break
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        engine.dispose()
    assert proc.poll() is None, "the batch ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    partial = snapshot(network_db)
    assert partial["counts"]["surveys"] == 1
    shutil.rmtree(tmp_path / "k", ignore_errors=True)
    _wait(_start(network_db, tmp_path / "r", DRIVE2, DRIVE1, hold_s=0))
    got = snapshot(network_db)
    assert_same(got, sequential(*(SAMPLE / name for name in got["order"])))
