"""One exception tree for the whole project, each class with its exit code.

A user error (bad path, bad file, bad option) is a :class:`RoadcamError`
subclass. The CLI prints ``str(err)`` as one line on stderr and exits with
``err.exit_code``; it never shows a traceback for these. Anything else is a
bug and exits with :data:`EXIT_INTERNAL`.

In a batch, a file that raises a ``RoadcamError`` becomes an error record
(see :func:`error_record`) and the batch goes on.
"""

from __future__ import annotations

from typing import Any

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3  # a batch finished but some files failed


class RoadcamError(Exception):
    """Base of every error a user can cause and fix."""

    exit_code: int = 10
    kind: str = "error"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class UsageError(RoadcamError):
    """Bad command-line options or arguments."""

    exit_code = EXIT_USAGE
    kind = "usage"


class InputNotFoundError(RoadcamError):
    """A path the user named does not exist."""

    exit_code = 11
    kind = "not_found"


class UnsupportedFormatError(RoadcamError):
    """A file whose format roadcam does not read."""

    exit_code = 12
    kind = "unsupported_format"


class CorruptInputError(RoadcamError):
    """A file of a known format that cannot be read (truncated, garbage)."""

    exit_code = 13
    kind = "corrupt_input"


class GPSError(RoadcamError):
    """A track with no valid fix, or GPS unusable for this footage."""

    exit_code = 14
    kind = "gps"


class TimeSyncError(GPSError):
    """Footage and GPS track do not overlap in time."""

    exit_code = 15
    kind = "time_sync"


class CRSError(RoadcamError):
    """Missing or wrong coordinate reference system."""

    exit_code = 16
    kind = "crs"


class NetworkError(RoadcamError):
    """A road network that cannot be loaded or used (empty, no roads)."""

    exit_code = 17
    kind = "network"


class MatchingError(RoadcamError):
    """Map matching failed for a whole track."""

    exit_code = 18
    kind = "matching"


class ModelError(RoadcamError):
    """Missing or unreadable model weights, or an unavailable backend."""

    exit_code = 19
    kind = "model"


class DatabaseError(RoadcamError):
    """Database unreachable, not migrated, or missing SpatiaLite/PostGIS."""

    exit_code = 20
    kind = "database"


class ConfigError(RoadcamError):
    """A bad configuration or policy file."""

    exit_code = 21
    kind = "config"


class DependencyError(RoadcamError):
    """An optional dependency (extra) is not installed."""

    exit_code = 22
    kind = "dependency"


ALL_ERRORS: tuple[type[RoadcamError], ...] = (
    RoadcamError,
    UsageError,
    InputNotFoundError,
    UnsupportedFormatError,
    CorruptInputError,
    GPSError,
    TimeSyncError,
    CRSError,
    NetworkError,
    MatchingError,
    ModelError,
    DatabaseError,
    ConfigError,
    DependencyError,
)


def error_record(err: BaseException, path: str | None = None) -> dict[str, Any]:
    """Turn an exception into a JSON-able record for a run summary."""
    if isinstance(err, RoadcamError):
        return {
            "path": path or err.path,
            "kind": err.kind,
            "exit_code": err.exit_code,
            "message": err.message,
        }
    return {
        "path": path,
        "kind": "internal",
        "exit_code": EXIT_INTERNAL,
        "message": f"{type(err).__name__}: {err}",
    }


class InvalidTransitionError(RoadcamError):
    """A status change the life cycle does not allow (e.g. a closed defect to repair_claimed)."""

    exit_code = 23
    kind = "invalid_transition"


ALL_ERRORS = ALL_ERRORS + (InvalidTransitionError,)
