"""Bad input in a batch: each bad file is one clear error record, the batch goes on, nothing stored is lost."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo.ingest.video import encode_video
from pipeline.cli import main
from roadcam.errors import EXIT_PARTIAL

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def clip(path, seconds=3, seed=0, start=T0):
    rng = np.random.default_rng(seed)
    frames = (rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(seconds * 10))
    encode_video(path, frames, fps=10, creation_time=start)
    return path


def gpx(path, start=T0, seconds=3):
    pts = "".join(
        f'<trkpt lat="{51.386 + 0.00005 * k:.6f}" lon="0.5480"><time>{(start + timedelta(seconds=k)).isoformat().replace("+00:00", "Z")}</time></trkpt>'
        for k in range(seconds + 1)
    )
    path.write_text(
        f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'
    )
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    good = root / "good"
    good.mkdir()
    gpx(good / "a.gpx", seconds=6)
    clip(good / "a.mp4", seconds=6, seed=1)
    bad = root / "bad"
    bad.mkdir()
    # a truncated video
    clip(root / "full.mp4", seconds=6, seed=2)
    data = (root / "full.mp4").read_bytes()
    (bad / "truncated.mp4").write_bytes(data[: len(data) // 3])
    gpx(bad / "truncated.gpx", seconds=6)
    # an empty GPS file, and one full of garbage
    clip(bad / "emptygps.mp4", seed=3)
    (bad / "emptygps.gpx").write_text("")
    clip(bad / "garbage.mp4", seed=4)
    (bad / "garbage.nmea").write_bytes(
        np.random.default_rng(5).integers(0, 255, 4000, dtype=np.uint8).tobytes()
    )
    # a track with no valid fix (RMC status V)
    clip(bad / "nofix.mp4", seed=6)
    (bad / "nofix.nmea").write_text(
        "".join(_nmea(f"GPRMC,0900{k:02d}.00,V,,,,,,,161126,,,N") for k in range(5))
    )
    # footage two hours after its track
    clip(bad / "nooverlap.mp4", seed=7, start=T0 + timedelta(hours=2))
    gpx(bad / "nooverlap.gpx")
    return root


def _nmea(body: str) -> str:
    cs = 0
    for ch in body:
        cs ^= ord(ch)
    return f"${body}*{cs:02X}\r\n"


def run_json(args, capsys):
    code = main(args + ["--json"])
    return code, json.loads(capsys.readouterr().out)


def test_each_bad_file_is_an_error_record_and_the_good_one_is_kept(batch, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    code, first = run_json(
        ["process", str(batch / "good"), "--no-detect", "--database", db], capsys
    )
    assert code == 0 and first["processed"] == 1 and first["frames"] > 0

    code, summary = run_json(
        ["process", str(batch / "good"), str(batch / "bad"), "--no-detect", "--database", db],
        capsys,
    )
    assert code == EXIT_PARTIAL
    assert summary["skipped"] == 1  # the good footage is already stored
    assert summary["failed"] == 5
    kinds = {rec["path"].rsplit("/", 1)[-1]: rec["kind"] for rec in summary["errors"]}
    assert kinds == {
        "truncated.mp4": "corrupt_input",
        "emptygps.mp4": "corrupt_input",
        "garbage.mp4": "corrupt_input",
        "nofix.mp4": "gps",
        "nooverlap.mp4": "time_sync",
    }
    for rec in summary["errors"]:
        assert "\n" not in rec["message"] and rec["message"]

    from store.engine import make_engine, session_scope
    from store.frames import count_frames
    from store.surveys import list_surveys

    engine = make_engine(db)
    with session_scope(engine) as s:
        surveys = list_surveys(s)
        assert [(sv.status, sv.summary["frames"]) for sv in surveys] == [("done", first["frames"])]
        assert count_frames(s) == first["frames"]
    engine.dispose()


def test_human_summary_names_each_failure(batch, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    code = main(["process", str(batch / "bad" / "nooverlap.mp4"), "--no-detect", "--database", db])
    out = capsys.readouterr().out
    assert code == EXIT_PARTIAL
    assert "nooverlap.mp4" in out and "does not overlap" in out


def test_missing_weights_is_a_clear_model_error(tmp_path, capsys):
    code = main(
        [
            "process",
            str(tmp_path),
            "--weights",
            str(tmp_path / "none.onnx"),
            "--database",
            f"sqlite:///{tmp_path}/x.sqlite",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 19 and len(err) == 1 and "weights not found" in err[0]
