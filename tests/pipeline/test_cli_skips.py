"""roadcam skips import-permits / check (--csv, --json) on the sample network."""

import csv
import json
from datetime import UTC, datetime

from reviewing import confirm_all_findings

from geo.types import DefectCandidate
from pipeline.cli import main
from roadcam.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "sample_footage"
T0 = datetime(2026, 11, 16, 9, 14, tzinfo=UTC)


def _db_with_skips(tmp_path):
    from store.defects import save_defects
    from store.engine import make_engine, session_scope

    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    engine = make_engine(db)
    with session_scope(engine) as s:
        save_defects(
            s,
            [
                DefectCandidate(
                    class_name="skip",
                    lon=lon,
                    lat=lat,
                    segment_id=seg,
                    chainage_m=30.0,
                    offset_m=3.0,
                    first_seen=T0,
                    last_seen=T0,
                    sightings=n,
                    max_width_m=1.8,
                    best_confidence=0.9,
                    best_frame_index=1,
                )
                # Gordon Road (permit by address), Livingstone Road (permit ended), one sighting
                for lon, lat, seg, n in [
                    (0.5555, 51.3842, "r09-0", 4),
                    (0.5592, 51.3842, "r12-0", 4),
                    (0.5530, 51.3860, "r06-0", 1),
                ]
            ],
        )
    engine.dispose()
    confirm_all_findings(db, "skip")
    return db


def test_import_the_sample_register_and_list_the_unpermitted_skip(tmp_path, capsys):
    db = _db_with_skips(tmp_path)
    capsys.readouterr()
    reg = str(SAMPLE / "permits.csv")
    assert main(["skips", "import-permits", reg, "--database", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "permits": 3,
        "by_coordinates": 1,
        "by_street": 2,
    }
    assert main(["skips", "import-permits", reg, "--database", db]) == 0  # idempotent
    capsys.readouterr()
    out_csv = tmp_path / "out" / "unpermitted.csv"
    assert main(["skips", "check", "--database", db, "--json", "--csv", str(out_csv)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unpermitted"] == 1 and "Medway" in out["policy"]
    (skip,) = out["skips"]
    assert (skip["street"], skip["permit_state"], skip["other_permit_reference"]) == (
        "Livingstone Road",
        "unlicensed",
        "MW-SK-0102",
    )
    assert skip["charge"]["total_gbp"] == 197.5  # 1.5 x £65 retrospective licence + £100
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["street"], r["total_gbp"], r["days_on_highway"]) for r in rows] == [
        ("Livingstone Road", "197.5", "1")
    ]
    assert "medway.gov.uk" in rows[0]["sources"]
    assert main(["skips", "check", "--database", db, "--all"]) == 0
    text = capsys.readouterr().out
    assert "permitted: £0.00 (covered by permit MW-SK-0101)" in text
    assert "1 of 2 skips without a valid permit; charges £197.50" in text


def test_bad_rows_are_named_and_nothing_is_imported(tmp_path, capsys):
    db = _db_with_skips(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Reference,Street,Valid_From,Valid_To,Company\n"
        "SK-1,Gordon Rd,2026-11-10,2026-11-23,Acme\n"
        "SK-2,Gordon Rd,tomorrow,2026-11-23,Acme\n"
        "SK-3,Gordon Rd,31/11/2026,2026-11-23,Acme\n"
    )
    assert main(["skips", "import-permits", str(bad), "--database", db]) == 13
    err = capsys.readouterr().err
    assert (
        "row 3: 'tomorrow' is not a date" in err and "row 4:" in err and "nothing imported" in err
    )
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(
        "reference,street,valid_from,valid_to\n"
        "SK-1,Gordon Rd,10/11/2026,23/11/2026\n"
        "SK-2,Nowhere Lane,10/11/2026,23/11/2026\n"
    )
    assert main(["skips", "import-permits", str(unknown), "--database", db]) == 13
    assert "row 3: street 'Nowhere Lane' matches no road name" in capsys.readouterr().err
    assert main(["skips", "check", "--database", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unpermitted"] == 2  # SK-1 of the failed file was not stored either
    nocols = tmp_path / "nocols.csv"
    nocols.write_text("reference,valid_from,valid_to\nSK-1,2026-11-10,2026-11-23\n")
    assert main(["skips", "import-permits", str(nocols), "--database", db]) == 13
    assert "lon,lat / street / address" in capsys.readouterr().err
