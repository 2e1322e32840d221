"""``roadcam track`` against the reference parsers of other projects, on their own test files.

The corpus is ``../shared/holdout/peer_gps/`` (evaluation only, never copied): 413 GPS
files from the test suites of gpxpy, pynmea2, mapillary_tools, gpmf-parser,
gopro-telemetry, GPSBabel, gpsd and exif-samples. ``expected.json`` says, per file, what
the peer's own parser reads from it:

* kind ``track``: one or more *candidate* readings (a count ``n``, the roadcam field(s) it
  counts, ``points`` and/or ``valid_fixes``, and a start and end time, ``alt_start``/
  ``alt_end`` being the span of every timed sentence, valid or not). roadcam **agrees**
  when, for some candidate, each named field is within ``max(2, 1 %)`` of ``n`` and start
  and end are within 1 s (a null end is not compared);
* kind ``error``: the peer finds no timed fix, so a **clean error** is right: an exit code
  from the README table (10-23), exactly one line on stderr, no traceback;
* kind ``either``: the peer's own tools disagree (for example pynmea2's ``is_valid``
  rejects RMC fixes with status A); an agreeing track or a clean error both pass.

A **crash** is anything else on an error path: exit code 1 (internal error) or an
uncaught exception.

Every file goes through ``pipeline.cli.main(["track", FILE, "--json"])``, the function the
``roadcam`` script calls: by default all in this one interpreter, each call with its own
stdout/stderr and fresh log handlers, as a new process would have; ``--subprocess`` starts
``python -m pipeline.cli`` once per file instead (slower, same answers: the test suite
checks a sample of files both ways).

Run: ``python bench/peer_gps.py [--subprocess] [--holdout DIR]``; prints the agreement
table and writes ``bench/results/peer_gps.json`` (paths relative to the corpus folder).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOLDOUT = Path(os.environ.get("ROADCAM_SHARED_HOLDOUT", REPO.parent / "shared" / "holdout"))
CORPUS = HOLDOUT / "peer_gps"
RESULTS = REPO / "bench" / "results"
CLEAN_EXIT_CODES = range(10, 24)  # README "Exit codes": 10 other roadcam error ... 23
TIME_TOLERANCE_S = 1.0


def load_expected(corpus: Path = CORPUS) -> dict[str, dict[str, Any]]:
    """``expected.json``: corpus-relative file name -> what the peer read."""
    return json.loads((corpus / "expected.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- running roadcam


def run_in_process(path: Path) -> dict[str, Any]:
    """``roadcam track PATH --json`` through ``pipeline.cli.main`` in this interpreter."""
    from pipeline.cli import main

    root = logging.getLogger()
    for h in list(root.handlers):  # a new process has no handler: basicConfig binds to our stderr
        root.removeHandler(h)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["track", str(path), "--json"])
        except SystemExit as ex:  # argparse
            rc = ex.code if isinstance(ex.code, int) else 2
        except BaseException as ex:  # noqa: BLE001 - an escaped exception is a crash to report
            rc, err = None, io.StringIO(f"uncaught {type(ex).__name__}: {ex}\nTraceback")
    for h in list(root.handlers):
        root.removeHandler(h)
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}


def run_subprocess(path: Path) -> dict[str, Any]:
    """``python -m pipeline.cli track PATH --json`` in a new process (the real command line)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "track", str(path), "--json"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120,
    )  # fmt: skip
    return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}


# --------------------------------------------------------------------------- judging


def _t(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def _near(got: datetime | None, *want: str | None) -> bool:
    wanted = [_t(w) for w in want if w]
    return got is not None and any(
        abs((got - w).total_seconds()) <= TIME_TOLERANCE_S for w in wanted
    )


def count_agrees(got: int, n: int) -> bool:
    """A point count agrees when within max(2, 1 %) of the peer's."""
    return abs(got - n) <= max(2.0, 0.01 * n)


def candidate_agrees(summary: dict[str, Any], cand: dict[str, Any]) -> bool:
    """roadcam's summary agrees with one candidate reading of the peer."""
    if not cand.get("n") or cand.get("start") is None:
        return False
    if not all(count_agrees(int(summary[f]), int(cand["n"])) for f in cand["fields"]):
        return False
    start, end = _t(summary.get("start")), _t(summary.get("end"))
    if not _near(start, cand["start"], cand.get("alt_start")):
        return False
    return cand.get("end") is None or _near(end, cand["end"], cand.get("alt_end"))


def clean_error(res: dict[str, Any]) -> bool:
    """Exit code from the README table, one line on stderr, no traceback."""
    lines = res["stderr"].strip().splitlines()
    return (
        res["rc"] in CLEAN_EXIT_CODES
        and len(lines) == 1
        and lines[0].startswith("roadcam: error: ")
        and "Traceback" not in res["stderr"]
    )


def judge(exp: dict[str, Any], res: dict[str, Any]) -> str:
    """One of: agree, disagree, clean_error, rejected (a clean error on a track file),
    unexpected_track (a track on an error file), dirty_error (an error with a code from the
    table but not one clean line), crash."""
    rc = res["rc"]
    if rc == 0:
        try:
            summary = json.loads(res["stdout"])
        except ValueError:
            return "crash"
        if exp["kind"] == "error":
            return "unexpected_track"
        ok = any(candidate_agrees(summary, c) for c in exp.get("candidates", []))
        return "agree" if ok else "disagree"
    if rc not in CLEAN_EXIT_CODES:
        return "crash"
    if not clean_error(res):
        return "dirty_error"
    return "rejected" if exp["kind"] == "track" else "clean_error"


PASS = {"track": {"agree"}, "error": {"clean_error"}, "either": {"agree", "clean_error"}}


def run_corpus(
    corpus: Path = CORPUS, *, subprocess_per_file: bool = False, only: list[str] | None = None
) -> list[dict[str, Any]]:
    """Run every file (or ``only`` these names) and judge it: one row per file."""
    expected = load_expected(corpus)
    run = run_subprocess if subprocess_per_file else run_in_process
    rows = []
    for name in sorted(only or expected):
        exp = expected[name]
        res = run(corpus / name)
        verdict = judge(exp, res)
        row: dict[str, Any] = {
            "file": name,
            "source": name.split("/", 1)[0],
            "format": exp["format"],
            "kind": exp["kind"],
            "verdict": verdict,
            "passed": verdict in PASS[exp["kind"]],
            "rc": res["rc"],
        }
        if res["rc"] == 0 and verdict != "crash":
            s = json.loads(res["stdout"])
            row.update({k: s.get(k) for k in ("format", "points", "valid_fixes", "start", "end")})
            row["cleaning"] = s.get("cleaning")
        else:
            row["stderr"] = res["stderr"].strip().replace(str(corpus) + "/", "")[-400:]
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures the issue asks for."""
    by_kind = Counter((r["kind"], r["verdict"]) for r in rows)
    tracks = [r for r in rows if r["kind"] == "track"]
    errors = [r for r in rows if r["kind"] == "error"]
    either = [r for r in rows if r["kind"] == "either"]
    agree = sum(r["verdict"] == "agree" for r in tracks)
    return {
        "files": len(rows),
        "crashes": sum(r["verdict"] == "crash" for r in rows),
        "track_files": len(tracks),
        "track_agree": agree,
        "track_agree_pct": round(100.0 * agree / len(tracks), 1) if tracks else None,
        "error_files": len(errors),
        "error_clean": sum(r["verdict"] == "clean_error" for r in errors),
        "either_files": len(either),
        "either_passed": sum(r["passed"] for r in either),
        "by_kind_and_verdict": {f"{k}/{v}": n for (k, v), n in sorted(by_kind.items())},
    }


def _table(rows: list[dict[str, Any]]) -> str:
    sources = sorted({r["source"] for r in rows})
    verdicts = [
        "agree", "disagree", "rejected", "clean_error", "unexpected_track", "dirty_error", "crash",
    ]  # fmt: skip
    head = f"{'source':<16}{'files':>6}{'passed':>8}" + "".join(f"{v:>17}" for v in verdicts)
    lines = [head]
    for src in sources + ["all"]:
        rs = [r for r in rows if src in ("all", r["source"])]
        c = Counter(r["verdict"] for r in rs)
        lines.append(
            f"{src:<16}{len(rs):>6}{sum(r['passed'] for r in rs):>8}"
            + "".join(f"{c[v]:>17}" for v in verdicts)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--holdout", type=Path, default=HOLDOUT, help="the ../shared/holdout folder")
    ap.add_argument(
        "--subprocess", action="store_true", help="one `python -m pipeline.cli` per file"
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "peer_gps.json")
    ap.add_argument("--only", nargs="*", help="corpus-relative names to run (default: all)")
    ap.add_argument("--show", action="store_true", help="list every file that did not pass")
    args = ap.parse_args(argv)
    corpus = args.holdout / "peer_gps"
    if not (corpus / "expected.json").is_file():
        print(f"no corpus at {corpus} (../shared/holdout/peer_gps)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rows = run_corpus(corpus, subprocess_per_file=args.subprocess, only=args.only)
    wall = time.perf_counter() - t0
    summary = summarise(rows)
    print(_table(rows))
    print(json.dumps(summary, indent=1))
    if args.show:
        for r in rows:
            if not r["passed"]:
                what = r.get("stderr") or {
                    k: r.get(k) for k in ("points", "valid_fixes", "start", "end")
                }
                print(f"{r['verdict']:<16} {r['kind']:<6} {r['file']}: {what}")
    if not args.only:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "command": "python bench/peer_gps.py" + (" --subprocess" if args.subprocess else ""),
            "corpus": "../shared/holdout/peer_gps",
            "mode": "subprocess per file" if args.subprocess else "in-process pipeline.cli.main",
            "wall_s": round(wall, 1),
            "summary": summary,
            "files": rows,
        }
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
