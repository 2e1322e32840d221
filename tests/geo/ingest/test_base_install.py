"""Every GPS reader works from the base install, without the dev or train extras.

Issue 11: ``geo.ingest.exif`` imported Pillow, which only the extras brought in, so
``make demo``'s install crashed on every JPEG. Two checks:

* every third-party module that ``geo.ingest`` imports (at any depth in a function) is
  provided by a *direct* base dependency in ``pyproject.toml``;
* every reader runs on a small file in a fresh interpreter in which only the base
  dependencies and what they require can be imported (anything else installed in the
  venv raises ``ModuleNotFoundError``, as it would after ``pip install .``).

Both fail when Pillow is dropped from ``[project] dependencies``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from roadcam.settings import shared_data_dir

REPO = Path(__file__).resolve().parents[3]
OWN_PACKAGES = {"roadcam", "geo", "detector", "hierarchy", "api", "store", "pipeline"}


def _base_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""})]


def _closure(reqs: list[Requirement]) -> set[str]:
    """Canonical names of the base dependencies and everything they require (installed ones)."""
    seen: set[str] = set()
    todo = list(reqs)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for text in requires:
            sub = Requirement(text)
            if sub.marker is None or sub.marker.evaluate({"extra": ""}):
                todo.append(sub)
    return seen


def _imported_top_modules(folder: Path) -> set[str]:
    names: set[str] = set()
    for py in folder.glob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.partition(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names - set(sys.stdlib_module_names) - OWN_PACKAGES - {"__future__"}


def test_ingest_third_party_imports_are_direct_base_dependencies():
    direct = {canonicalize_name(r.name) for r in _base_requirements()}
    providers = metadata.packages_distributions()
    missing = {}
    for module in sorted(_imported_top_modules(REPO / "geo" / "ingest")):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists & direct:
            missing[module] = sorted(dists) or ["(not installed)"]
    assert "PIL" in _imported_top_modules(REPO / "geo" / "ingest")  # exif reads JPEGs with it
    assert missing == {}, f"imported by geo/ingest but not a base dependency: {missing}"


_RUNNER = r"""
import json, sys
blocked = set(json.loads(sys.argv[1]))

class BaseInstallOnly:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the base install)")
        return None

sys.meta_path.insert(0, BaseInstallOnly())
try:
    import pytest  # a dev extra: must be out of reach here
    print(json.dumps({"blocker": "pytest importable"}))
    sys.exit(1)
except ModuleNotFoundError:
    pass
from geo.ingest.gps import detect_format, read_track
out = {}
for f in sys.argv[2:]:
    t = read_track(f)
    out[f.rsplit("/", 1)[-1]] = [detect_format(f), len(t), t.start.isoformat()]
print(json.dumps(out))
"""


def _nmea(body: str) -> str:
    cs = 0
    for ch in body:
        cs ^= ord(ch)
    return f"${body}*{cs:02X}"


def _sample_files(tmp: Path) -> list[Path]:
    from PIL import Image  # made here, in the test process (dev extras available)

    jpg = tmp / "geotagged.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 24.0, 0.0), 3: "E", 4: (0.0, 30.0, 0.0),
                    7: (10.0, 0.0, 0.0), 29: "2024:05:01"}  # fmt: skip
    Image.new("RGB", (8, 8)).save(jpg, exif=exif)
    gpx = tmp / "drive.gpx"
    pts = "".join(f'<trkpt lat="51.4{i}" lon="0.5"><time>2024-05-01T10:00:0{i}Z</time></trkpt>'
                  for i in range(3))  # fmt: skip
    gpx.write_text(f'<gpx version="1.1"><trk><trkseg>{pts}</trkseg></trk></gpx>')
    nmea = tmp / "drive.nmea"
    nmea.write_text(
        _nmea("GPRMC,100000.00,A,5124.0000,N,00030.0000,E,10.0,90.0,010524,,,A") + "\n"
        + _nmea("GPRMC,100001.00,A,5124.0000,N,00030.0090,E,10.0,90.0,010524,,,A") + "\n"
    )  # fmt: skip
    csv = tmp / "drive.csv"
    csv.write_text(
        "time,lat,lon\n2024-05-01T10:00:00Z,51.4,0.5\n2024-05-01T10:00:01Z,51.4,0.5001\n"
    )
    return [jpg, gpx, nmea, csv]


def test_every_reader_runs_with_only_base_dependencies(tmp_path):
    allowed = _closure(_base_requirements()) | {"roadcam"}
    blocked = sorted(
        module
        for module, dists in metadata.packages_distributions().items()
        if module not in OWN_PACKAGES and not {canonicalize_name(d) for d in dists} & allowed
    )
    assert "pytest" in blocked  # the dev extras are out of reach
    files = _sample_files(tmp_path)
    shared = shared_data_dir()
    gpmf = shared / "gopro_gpmf_samples" / "samples" / "hero5.raw"  # GPMF, when present
    if gpmf.is_file():
        files.append(gpmf)
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(blocked), *map(str, files)],
        capture_output=True, text=True, cwd=REPO, timeout=300,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:] + proc.stdout[-500:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["geotagged.jpg"] == ["exif", 1, "2024-05-01T10:00:00+00:00"]
    assert got["drive.gpx"] == ["gpx", 3, "2024-05-01T10:00:00+00:00"]
    assert got["drive.nmea"] == ["nmea", 2, "2024-05-01T10:00:00+00:00"]
    assert got["drive.csv"] == ["csv", 2, "2024-05-01T10:00:00+00:00"]
    if gpmf.is_file():
        assert got["hero5.raw"][:2] == ["gpmf-raw", 18]


@pytest.mark.parametrize("dropped", ["pillow"])
def test_check_fails_without_the_dependency(dropped):
    """The two checks above really depend on pyproject: without Pillow, PIL is out of reach."""
    reqs = [r for r in _base_requirements() if canonicalize_name(r.name) != dropped]
    allowed = _closure(reqs)
    providers = metadata.packages_distributions()
    assert not {canonicalize_name(d) for d in providers["PIL"]} & allowed
