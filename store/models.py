"""The schema: one SQLAlchemy 2 model set for SpatiaLite and PostGIS.

Geometry is EPSG:4326 with a spatial index (an R*Tree in SpatiaLite, GiST in
PostGIS). Times are stored in UTC and come back timezone-aware. The Alembic
migrations in ``store/migrations/versions`` create exactly these tables; a test
checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326

SURVEY_STATUSES = ("pending", "processing", "done", "partial", "failed")
DEFECT_STATUSES = ("open", "repair_claimed", "verified_repaired", "still_present", "closed")
CLAIM_STATUSES = ("pending", "verified", "rejected")
#: A finding's review: the pipeline proposes, a named person confirms or rejects.
REVIEW_STATUSES = ("proposed", "confirmed", "rejected")
REJECT_REASONS = ("false_positive", "duplicate", "off_highway", "other")
USER_ROLES = ("admin", "engineer", "inspector", "contractor", "viewer")
TOKEN_KINDS = ("session", "api_key")
JOB_STATUSES = ("queued", "running", "done", "failed")


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC; returned timezone-aware on both databases.

    Naive datetimes are refused: every time in roadcam is UTC-aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: roadcam stores timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def Point() -> Geometry:  # noqa: N802 - reads like a type
    return Geometry("POINT", srid=SRID, spatial_index=True)


def LineString() -> Geometry:  # noqa: N802
    return Geometry("LINESTRING", srid=SRID, spatial_index=True)


class Base(DeclarativeBase):
    """Declarative base of every roadcam table."""


class Survey(Base):
    """One vehicle's run: a set of source files processed together."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SurveySource(Base):
    """A source file of a survey, identified by the SHA-256 of its content."""

    __tablename__ = "survey_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # video, gpx, nmea, images, ...
    bytes: Mapped[int] = mapped_column(BigInteger)


class Frame(Base):
    """A sampled frame: where and when it was taken, and how usable it is."""

    __tablename__ = "frame"
    __table_args__ = (
        UniqueConstraint("survey_id", "source", "frame_index", name="uq_frame_survey_source_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(Text, default="")
    frame_index: Mapped[int] = mapped_column(Integer)
    video_time_s: Mapped[float] = mapped_column(Float)
    time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    geom: Mapped[Any] = mapped_column(Point())
    heading_deg: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    image_ref: Mapped[str | None] = mapped_column(Text)
    brightness: Mapped[float | None] = mapped_column(Float)
    blur: Mapped[float | None] = mapped_column(Float)
    glare: Mapped[float | None] = mapped_column(Float)
    hdop: Mapped[float | None] = mapped_column(Float)
    usable: Mapped[bool] = mapped_column(Boolean, default=True)


class Observation(Base):
    """One detection in one frame, with its ground position and size."""

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint(
            "frame_id", "class_name", "box_key", name="uq_observation_frame_class_box"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("frame.id", ondelete="CASCADE"), index=True)
    class_name: Mapped[str] = mapped_column(String(50))
    confidence: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    x2: Mapped[float] = mapped_column(Float)
    y2: Mapped[float] = mapped_column(Float)
    box_key: Mapped[str] = mapped_column(String(64))  # box rounded to whole pixels, for dedupe
    geom: Mapped[Any] = mapped_column(Point())
    width_m: Mapped[float | None] = mapped_column(Float)
    segment_id: Mapped[str | None] = mapped_column(String(100), index=True)
    chainage_m: Mapped[float | None] = mapped_column(Float)
    offset_m: Mapped[float | None] = mapped_column(Float)
    defect_id: Mapped[int | None] = mapped_column(
        ForeignKey("defect.id", ondelete="SET NULL"), index=True
    )


class Defect(Base):
    """Repeat sightings merged into one real defect, with its life cycle."""

    __tablename__ = "defect"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_name: Mapped[str] = mapped_column(String(50), index=True)
    geom: Mapped[Any] = mapped_column(Point())
    segment_id: Mapped[str | None] = mapped_column(String(100), index=True)
    chainage_m: Mapped[float | None] = mapped_column(Float)
    offset_m: Mapped[float | None] = mapped_column(Float)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sightings: Mapped[int] = mapped_column(Integer, default=1)
    max_width_m: Mapped[float | None] = mapped_column(Float)
    best_confidence: Mapped[float] = mapped_column(Float)
    best_frame_id: Mapped[int | None] = mapped_column(ForeignKey("frame.id", ondelete="SET NULL"))
    best_frame_ref: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    status_note: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_status: Mapped[str] = mapped_column(
        String(20), default="proposed", server_default="proposed", index=True
    )
    reject_reason: Mapped[str | None] = mapped_column(String(20))
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    risk_category: Mapped[str | None] = mapped_column(String(20))
    risk_score: Mapped[float | None] = mapped_column(Float)
    response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DefectGridCell(Base):
    """Defects counted per map-grid cell × class × status, kept by triggers (store/defect_grid.py)."""

    __tablename__ = "defect_grid"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    cx: Mapped[int] = mapped_column(Integer, primary_key=True)
    cy: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_name: Mapped[str] = mapped_column(String(50), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    sum_lon: Mapped[float] = mapped_column(Float, default=0.0)
    sum_lat: Mapped[float] = mapped_column(Float, default=0.0)


class RoadSegment(Base):
    """A road segment between junctions, with its hierarchy category."""

    __tablename__ = "road_segment"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # = segment_id
    source_id: Mapped[str] = mapped_column(String(100), default="", index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    ref: Mapped[str] = mapped_column(String(50), default="")
    highway: Mapped[str] = mapped_column(String(50), default="")
    road_class: Mapped[str] = mapped_column(String(30), default="", index=True)
    oneway: Mapped[bool] = mapped_column(Boolean, default=False)
    u: Mapped[str] = mapped_column(String(100), default="")
    v: Mapped[str] = mapped_column(String(100), default="")
    geom: Mapped[Any] = mapped_column(LineString())
    length_m: Mapped[float] = mapped_column(Float)
    current_category: Mapped[str | None] = mapped_column(String(10))
    recommended_category: Mapped[str | None] = mapped_column(String(10))
    inspection_frequency: Mapped[str | None] = mapped_column(String(30))
    recommended_frequency: Mapped[str | None] = mapped_column(String(30))
    condition: Mapped[str | None] = mapped_column(String(30))
    hierarchy_reasons: Mapped[str | None] = mapped_column(
        Text
    )  # the last review's reasons, readable
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class HierarchyOverride(Base):
    """A person's recorded decision on a segment's category (kept as history)."""

    __tablename__ = "hierarchy_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[str] = mapped_column(
        ForeignKey("road_segment.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RepairClaim(Base):
    """A contractor's claim that a defect was repaired, and its verification."""

    __tablename__ = "repair_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    defect_id: Mapped[int] = mapped_column(ForeignKey("defect.id", ondelete="CASCADE"), index=True)
    contractor: Mapped[str] = mapped_column(String(200), default="", index=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the footage's verdict: a proposal (VERDICTS in geo.placement.verify), never a payment
    verdict: Mapped[str | None] = mapped_column(String(30))
    verdict_reason: Mapped[str | None] = mapped_column(Text)
    verdict_survey_id: Mapped[int | None] = mapped_column(Integer)
    verdict_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the inspector's decision (status verified/rejected): who, why, when
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SkipPermit(Base):
    """A council permit for a builders' skip on the highway (HA 1980 s.139)."""

    __tablename__ = "skip_permit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    geom: Mapped[Any] = mapped_column(Point())
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    holder: Mapped[str] = mapped_column(String(200), default="")  # the company
    street: Mapped[str | None] = mapped_column(Text)
    street_key: Mapped[str | None] = mapped_column(String(200), index=True)
    contact: Mapped[str | None] = mapped_column(Text)
    location_source: Mapped[str | None] = mapped_column(String(20))  # coordinates | street
    segment_id: Mapped[str | None] = mapped_column(String(100))


class CitizenReport(Base):
    """A citizen's report (FixMyStreet / Open311 GeoReport v2), placed on a segment and linked
    to the nearest defect of the camera within a tolerance."""

    __tablename__ = "citizen_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_request_id: Mapped[str] = mapped_column(String(100), unique=True)
    service_code: Mapped[str] = mapped_column(String(100), default="")
    service_name: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    report_status: Mapped[str] = mapped_column(String(20), default="open")  # open / closed
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    geom: Mapped[Any] = mapped_column(Point())
    segment_id: Mapped[str | None] = mapped_column(String(100), index=True)
    chainage_m: Mapped[float | None] = mapped_column(Float)
    distance_to_segment_m: Mapped[float | None] = mapped_column(Float)
    defect_id: Mapped[int | None] = mapped_column(ForeignKey("defect.id", ondelete="SET NULL"))
    defect_distance_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A person (or a machine, through its API keys) who may use the API, with one role."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    contractor: Mapped[str | None] = mapped_column(
        String(200)
    )  # the contractor role's organisation
    password_hash: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token: a person's sign-in session or a machine's API key (only its hash is kept)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One decision or change, append-only: who, when, what, from, to and why."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_resource", "resource", "resource_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource: Mapped[str] = mapped_column(String(30))
    resource_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_value: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A long task (a hierarchy review at scale) run in the background; polled at /jobs/{id}."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class MarkingWearRun(Base):
    """Wear of one painted line over one run of a segment, from one survey (docs/markings.md)."""

    __tablename__ = "marking_wear_run"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[str] = mapped_column(String(100), index=True)
    line_offset_m: Mapped[float] = mapped_column(Float)
    line_kind: Mapped[str] = mapped_column(String(30))
    marking_type: Mapped[str] = mapped_column(String(30))
    run_index: Mapped[int] = mapped_column(Integer)
    start_m: Mapped[float] = mapped_column(Float)
    end_m: Mapped[float] = mapped_column(Float)
    wear: Mapped[float] = mapped_column(Float)
    paint_width_m: Mapped[float] = mapped_column(Float)
    reference_width_m: Mapped[float] = mapped_column(Float)
    covered_m: Mapped[float] = mapped_column(Float)
    frames: Mapped[list[Any] | None] = mapped_column(JSON)
    measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    geom: Mapped[Any] = mapped_column(LineString())
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    # the registration line's repeat length and phase (migration 0010; docs/markings.md)
    dash_period_m: Mapped[float | None] = mapped_column(Float)
    dash_phase_m: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
