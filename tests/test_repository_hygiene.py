"""The tracked tree carries no absolute path of a development machine.

Results, weight metadata, docs and configs must read the same on every clone: a path
like ``<home>/<user>/...`` or the absolute path of the checkout itself means a file was
written on one machine and would mislead everyone else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Prefixes of development machines' home and work folders (split so this file passes itself).
_PREFIXES = ["/" + p + "/" for p in ("work", "root", "home", "Users")]
_MACHINE_PATH = re.compile(
    rb"(?<![\w.:/-])(?:" + b"|".join(re.escape(p.encode()) for p in _PREFIXES) + rb")[\w.-]+"
)


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the repository hygiene test needs a git checkout")
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [ROOT / p.decode() for p in out.split(b"\0") if p]


def test_no_machine_paths_in_tracked_files():
    checkout = str(ROOT).encode()
    offenders = []
    for path in _tracked_files():
        if not path.is_file():
            continue
        data = path.read_bytes()
        hit = _MACHINE_PATH.search(data)
        if checkout in data or hit:
            offenders.append(f"{path.relative_to(ROOT)}: {(hit.group(0) if hit else checkout)!r}")
    assert not offenders, "absolute machine paths committed:\n" + "\n".join(offenders)


def test_pattern_catches_what_it_should():
    assert _MACHINE_PATH.search(b'"data": "' + _PREFIXES[0].encode() + b'main/x.yaml"')
    assert not _MACHINE_PATH.search(b"https://example.org/work/x and ./work/y")
