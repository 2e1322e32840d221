"""What a defect list, map, tile or export is filtered by: one type for every read path.

The API's list and map endpoints, the tiles and the exports all take a :class:`DefectFilter`;
:func:`store.defect_json.filter_sql` turns it into SQL for the database-built JSON and tiles,
:func:`store.exports.filtered_defects` into the export's select. ``None`` means any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from roadcam.errors import UsageError
from store._sql import check_bbox
from store.models import DEFECT_STATUSES


@dataclass(frozen=True)
class DefectFilter:
    """Defects to list; every field optional, the date ranges include both ends."""

    ids: Sequence[int] | None = None
    class_names: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    risk_categories: Sequence[str] | None = None
    road: str | None = None  # part of the road name or ref, any case
    segment_ids: Sequence[str] | None = None
    bbox: Sequence[float] | None = None  # lon1, lat1, lon2, lat2
    first_seen_from: datetime | None = None
    first_seen_to: datetime | None = None
    last_seen_from: datetime | None = None
    last_seen_to: datetime | None = None
    updated_since: datetime | None = None
    confirmed_only: bool = False

    def __post_init__(self) -> None:
        if self.bbox is not None:
            check_bbox(self.bbox)
        for s in self.statuses or ():
            if s not in DEFECT_STATUSES:
                raise UsageError(
                    f"unknown defect status {s!r}; one of {', '.join(DEFECT_STATUSES)}"
                )
