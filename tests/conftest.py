"""Fixtures shared by every test package.

``../shared/data`` holds third-party data used for tests and evaluation. It is
never committed. Tests that need it use the ``shared_data`` fixture (or the
``needs_shared`` mark) and skip with a clear reason where it is absent; CI
always has it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ROADCAM_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
TEST_DATA = REPO_ROOT / "tests" / "data"

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"needs the shared data folder at {SHARED_DATA} (CI has it; a plain clone does not)",
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data folder at {SHARED_DATA} (CI has it; a plain clone does not)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
