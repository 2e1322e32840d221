"""The hierarchy/inspection policy: a YAML file a council can replace.

:func:`load_policy` reads ``hierarchy/policies/default.yaml`` (or a given file) into a
typed, frozen :class:`Policy`. Every number lives in that file with its source: the
models below have no defaults, and a key the model does not know is an error (a typo
must not silently fall back to a built-in value). docs/hierarchy.md documents each key.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from roadcam.errors import ConfigError, InputNotFoundError

log = logging.getLogger(__name__)

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "policies" / "default.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    """One carriageway hierarchy category and its inspection frequency limits."""

    code: str
    name: str
    frequency: str
    most_frequent: str
    least_frequent: str


class FootwayCategory(_Strict):
    code: str
    name: str
    frequency: str


class Tolerance(_Strict):
    reschedule_days: int = Field(ge=0)
    annual_extension_months: int = Field(ge=0)


class AadtBand(_Strict):
    min_aadt: float = Field(ge=0)
    category: str


class PercentBand(_Strict):
    top_percent: float = Field(gt=0, le=100)
    category: str


class TrafficProxy(_Strict):
    top_percent_bands: tuple[PercentBand, ...]
    low_percent: float = Field(ge=0, le=100)
    max_raise_steps: int = Field(ge=0)
    lowers_only: tuple[str, ...]
    exact_max_nodes: int = Field(ge=2)
    sample_k: int = Field(ge=1)
    seed: int


class Traffic(_Strict):
    aadt_bands: tuple[AadtBand, ...]
    low_aadt: float = Field(ge=0)
    proxy: TrafficProxy


class Sites(_Strict):
    kinds: dict[str, str]
    target_categories: tuple[str, ...]
    max_snap_distance_m: float = Field(gt=0)
    max_route_m: float = Field(gt=0)
    overlap_penalty: float = Field(ge=1)


class RouteLayer(_Strict):
    """Bus or winter-service routes: lines within ``buffer_m`` along ``min_overlap`` of a segment."""

    category: str
    buffer_m: float = Field(gt=0)
    min_overlap: float = Field(gt=0, le=1)


class Changes(_Strict):
    max_raise_steps: int = Field(ge=0)
    max_lower_steps: int = Field(ge=0)
    protected_road_classes: tuple[str, ...]
    open_end_margin_m: float = Field(ge=0)
    lowered_to: dict[str, str]


class RiskBand(_Strict):
    min_risk: int = Field(ge=1, le=16)
    category: str


class Response(_Strict):
    """How soon a risk category is answered: exactly one of the four."""

    hours: float | None = None
    working_days: int | None = None
    days: float | None = None
    next_inspection: bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Response:
        given = [
            k for k in ("hours", "working_days", "days", "next_inspection") if getattr(self, k)
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of hours, working_days, days, next_inspection")
        return self


class Risk(_Strict):
    impact_by_class: dict[str, int]
    impact_size_width_m: float = Field(gt=0)
    impact_speed_mph: float = Field(gt=0)
    speed_mph_by_road_class: dict[str, float]
    probability_by_category: dict[str, int]
    wheel_track_offsets_m: tuple[tuple[float, float], ...]
    junction_distance_m: float = Field(ge=0)
    bands: tuple[RiskBand, ...] = Field(min_length=1)
    responses: dict[str, Response]
    intervention_width_m: float = Field(gt=0)
    confirm_depth_mm: float = Field(gt=0)

    @model_validator(mode="after")
    def _defaults_and_responses(self) -> Risk:
        for table in ("impact_by_class", "speed_mph_by_road_class"):
            if "default" not in getattr(self, table):
                raise ValueError(f"risk.{table} needs a 'default' entry")
        missing = [b.category for b in self.bands if b.category not in self.responses]
        if missing:
            raise ValueError(f"risk bands without a response in risk.responses: {missing}")
        return self

    def impact_of_class(self, defect_class: str) -> int:
        return self.impact_by_class.get(defect_class, self.impact_by_class["default"])

    def speed_of_road_class(self, road_class: str) -> float:
        return self.speed_mph_by_road_class.get(road_class, self.speed_mph_by_road_class["default"])


class Adjustment(_Strict):
    fast_defects_per_km_month: float = Field(ge=0)
    stable_min_passes: int = Field(ge=1)
    stable_min_months: float = Field(ge=0)
    stable_max_defects_per_km_month: float = Field(ge=0)
    trend_window_days: float = Field(gt=0)
    worsening_ratio: float = Field(gt=0)


class ConditionBand(_Strict):
    max_per_km: float = Field(ge=0)
    category: int = Field(ge=1, le=5)


class Condition(_Strict):
    weights: dict[str, float]
    bands: tuple[ConditionBand, ...] = Field(min_length=1)
    worst: int = Field(ge=1, le=5)

    @model_validator(mode="after")
    def _default_weight(self) -> Condition:
        if "default" not in self.weights:
            raise ValueError("condition.weights needs a 'default' entry")
        return self

    def weight_of_class(self, defect_class: str) -> float:
        return self.weights.get(defect_class, self.weights["default"])


class Resource(_Strict):
    inspection_speed_kmh: float = Field(gt=0)


class Policy(_Strict):
    """A validated policy; the helpers below answer the questions the review asks of it."""

    name: str
    frequencies: dict[str, float] = Field(min_length=1)
    carriageway_categories: tuple[Category, ...] = Field(min_length=1)
    footway_categories: tuple[FootwayCategory, ...]
    tolerance: Tolerance
    road_class_category: dict[str, str]
    traffic: Traffic
    sites: Sites
    bus_routes: RouteLayer
    winter_routes: RouteLayer
    changes: Changes
    risk: Risk
    adjustment: Adjustment
    condition: Condition
    resource: Resource
    _source: str = PrivateAttr(default="<dict>")

    @model_validator(mode="after")
    def _cross_references(self) -> Policy:
        if any(v <= 0 for v in self.frequencies.values()):
            raise ValueError("every frequency must be a positive number of inspections per year")
        codes = [c.code for c in self.carriageway_categories]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate carriageway category codes")
        for cat in self.carriageway_categories:
            for f in (cat.frequency, cat.most_frequent, cat.least_frequent):
                if f not in self.frequencies:
                    raise ValueError(f"category {cat.code}: unknown frequency {f!r}")
            if self.frequencies[cat.most_frequent] < self.frequencies[cat.least_frequent]:
                raise ValueError(f"category {cat.code}: most_frequent is rarer than least_frequent")
        if "default" not in self.road_class_category:
            raise ValueError("road_class_category needs a 'default'")
        for code in self._named_categories():
            if code not in codes:
                raise ValueError(f"unknown category {code!r} (known: {', '.join(codes)})")
        unscored = [c for c in codes if c not in self.risk.probability_by_category]
        if unscored:
            raise ValueError(f"risk.probability_by_category misses categories {unscored}")
        return self

    def _named_categories(self) -> list[str]:
        t, chg = self.traffic, self.changes
        named = list(self.road_class_category.values())
        named += [b.category for b in t.aadt_bands] + [
            b.category for b in t.proxy.top_percent_bands
        ]
        named += list(t.proxy.lowers_only) + list(self.sites.kinds.values())
        named += list(self.sites.target_categories)
        named += [self.bus_routes.category, self.winter_routes.category]
        named += list(chg.lowered_to) + list(chg.lowered_to.values())
        return named + list(self.risk.probability_by_category)

    @property
    def source(self) -> str:
        """Where the policy came from (a file path, or ``<dict>``)."""
        return self._source

    # ---- categories -------------------------------------------------------------
    @property
    def categories(self) -> tuple[Category, ...]:
        return self.carriageway_categories

    @property
    def codes(self) -> tuple[str, ...]:
        """Category codes, highest (most important) first."""
        return tuple(c.code for c in self.carriageway_categories)

    def category(self, code: str) -> Category:
        """The :class:`Category` with this code (ConfigError if unknown)."""
        for c in self.carriageway_categories:
            if c.code == str(code):
                return c
        raise ConfigError(f"unknown category {code!r}", path=self.source)

    def rank(self, code: str) -> int:
        """0 for the highest category; larger is lower."""
        try:
            return self.codes.index(str(code))
        except ValueError:
            raise ConfigError(f"unknown category {code!r}", path=self.source) from None

    def higher(self, a: str, b: str) -> str:
        """The more important of two category codes."""
        return a if self.rank(a) <= self.rank(b) else b

    def step(self, code: str, steps: int) -> str:
        """Move ``steps`` categories down (positive) or up (negative), clamped."""
        i = min(max(self.rank(code) + steps, 0), len(self.codes) - 1)
        return self.codes[i]

    def category_for_road_class(self, road_class: str) -> str:
        """The default current category for a road class (``road_class_category``)."""
        table = self.road_class_category
        return table.get(road_class, table["default"])

    # ---- frequencies -------------------------------------------------------------
    def per_year(self, frequency: str) -> float:
        """Inspections per year for a frequency name."""
        try:
            return float(self.frequencies[frequency])
        except KeyError:
            raise ConfigError(f"unknown frequency {frequency!r}", path=self.source) from None

    @property
    def frequency_ladder(self) -> tuple[str, ...]:
        """Frequency names, most frequent first."""
        return tuple(sorted(self.frequencies, key=lambda k: -self.frequencies[k]))

    def frequency_for(self, code: str) -> str:
        """The default safety-inspection frequency of a category."""
        return self.category(code).frequency


def policy_from_dict(raw: object, source: str = "<dict>") -> Policy:
    """Validate a parsed policy; a :class:`ConfigError` names the first bad key."""
    if not isinstance(raw, dict):
        raise ConfigError("policy must be a YAML mapping", path=source)
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "policy"
        raise ConfigError(f"{where}: {first['msg']}", path=source) from None
    policy._source = source
    return policy


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy YAML file (the default policy when ``path`` is None)."""
    import yaml

    p = Path(path) if path is not None else DEFAULT_POLICY_PATH
    if not p.exists():
        raise InputNotFoundError("policy file not found", path=str(p))
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"not valid YAML: {str(err).splitlines()[0]}", path=str(p)) from None
    policy = policy_from_dict(raw, source=str(p))
    log.debug("loaded policy %s (%d categories)", p, len(policy.codes))
    return policy
