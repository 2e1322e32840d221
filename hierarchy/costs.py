"""Money rates of the hierarchy review: cost per inspection-km by inspection method.

:func:`load_costs` reads ``hierarchy/policies/costs.yaml`` (or a council's file) into a
:class:`Costs` model: every key is required (no defaults in code) and unknown keys are refused,
so a typo cannot silently cost nothing. :func:`pounds_per_year` turns the review's
inspection-km per year into pounds per year, before and after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from roadcam.errors import ConfigError, InputNotFoundError

DEFAULT_COSTS_PATH = Path(__file__).resolve().parent / "policies" / "costs.yaml"


class InspectionRate(BaseModel):
    """What one kilometre of safety inspection costs with one method, and where the figure comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gbp_per_km: PositiveFloat
    basis: str = Field(min_length=1)
    source: str = Field(min_length=1)
    confirmed: bool


class Costs(BaseModel):
    """The rates file: currency, price year, rate per method, and the method of each category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Literal["GBP"]
    price_year: int
    inspection_methods: dict[str, InspectionRate] = Field(min_length=1)
    carriageway_method: dict[str, str] = Field(min_length=1)
    _source: str = PrivateAttr(default="<dict>")  # the file it was read from (for messages)

    @model_validator(mode="after")
    def _methods_known(self) -> Costs:
        unknown = sorted(set(self.carriageway_method.values()) - set(self.inspection_methods))
        if unknown:
            raise ValueError(f"carriageway_method names unknown methods: {', '.join(unknown)}")
        return self

    def gbp_per_km(self, category: str) -> float:
        """The rate of the method that inspects ``category``; ConfigError when the file omits it."""
        method = self.carriageway_method.get(str(category))
        if method is None:
            raise ConfigError(
                f"no inspection method for carriageway category {category!r} in carriageway_method",
                path=self._source,
            )
        return self.inspection_methods[method].gbp_per_km


def costs_from_dict(raw: Any, source: str = "<dict>") -> Costs:
    """A validated :class:`Costs`; ConfigError with every problem on one line otherwise."""
    if not isinstance(raw, dict):
        raise ConfigError("costs file must be a YAML mapping", path=source)
    try:
        costs = Costs.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"bad costs file: {problems}", path=source) from None
    costs._source = source
    return costs


def load_costs(path: str | Path | None = None) -> Costs:
    """Read a costs YAML (default: ``hierarchy/policies/costs.yaml``)."""
    import yaml

    p = Path(path) if path is not None else DEFAULT_COSTS_PATH
    if not p.is_file():
        raise InputNotFoundError(f"costs file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"not valid YAML ({err})", path=str(p)) from None
    return costs_from_dict(raw, source=str(p))


def pounds_per_year(result: Any, costs: Costs) -> dict[str, Any]:
    """Inspection pounds per year before and after a review (``review_hierarchy`` result rows).

    Each segment's inspection-km per year is priced at the rate of the method that inspects its
    category: the current category before, the recommended one after.
    """
    before = sum(
        float(km) * costs.gbp_per_km(cat)
        for km, cat in zip(
            result["current_inspection_km_per_year"], result["current_category"], strict=True
        )
    )
    after = sum(
        float(km) * costs.gbp_per_km(cat)
        for km, cat in zip(
            result["recommended_inspection_km_per_year"],
            result["recommended_category"],
            strict=True,
        )
    )
    return {
        "currency": costs.currency,
        "price_year": costs.price_year,
        "inspection_gbp_per_year_before": round(before, 2),
        "inspection_gbp_per_year_after": round(after, 2),
        "inspection_gbp_per_year_change": round(after - before, 2),
        "rates_confirmed": all(r.confirmed for r in costs.inspection_methods.values()),
        "rates": {
            name: {"gbp_per_km": r.gbp_per_km, "source": r.source, "confirmed": r.confirmed}
            for name, r in costs.inspection_methods.items()
        },
        "costs_file": Path(costs._source).name,
    }
