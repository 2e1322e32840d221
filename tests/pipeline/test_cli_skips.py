"""roadcam skips import-permits / check."""

import json
from datetime import UTC, datetime

from geo.types import DefectCandidate
from pipeline.cli import main

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_import_permits_and_check(tmp_path, capsys):
    from store.defects import save_defects
    from store.engine import make_engine, session_scope
    from store.migrate import upgrade

    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    upgrade(db)
    engine = make_engine(db)
    with session_scope(engine) as s:
        save_defects(
            s,
            [
                DefectCandidate(
                    class_name="skip",
                    lon=lon,
                    lat=51.386,
                    segment_id=None,
                    chainage_m=None,
                    offset_m=None,
                    first_seen=T0,
                    last_seen=T0,
                    sightings=3,
                    max_width_m=1.8,
                    best_confidence=0.8,
                    best_frame_index=1,
                )
                for lon in (0.5480, 0.5520)
            ],
        )
    engine.dispose()
    csv = tmp_path / "permits.csv"
    csv.write_text(
        "reference,lon,lat,valid_from,valid_to,address,holder\n"
        "SK-1,0.54801,51.38601,2026-10-30,2026-11-12,1 High St,Acme\n"
    )
    assert main(["skips", "import-permits", str(csv), "--database", db]) == 0
    assert main(["skips", "import-permits", str(csv), "--database", db]) == 0  # idempotent
    capsys.readouterr()
    assert main(["skips", "check", "--database", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["unpermitted"] == 1
    assert [(r["permitted"], r["permit_reference"]) for r in out["skips"]] == [
        (True, "SK-1"),
        (False, None),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,lon,lat,valid_from,valid_to\nSK-2,east,51.3,2026-10-30,2026-11-12\n")
    assert main(["skips", "import-permits", str(bad), "--database", db]) == 13
    assert "line 2" in capsys.readouterr().err
