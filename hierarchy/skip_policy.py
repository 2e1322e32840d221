"""The skip-charging policy (``hierarchy/policies/skips.yaml``) and the charge it gives.

:func:`load_skip_policy` reads the YAML into :class:`SkipPolicy`, a pydantic model with
``extra="forbid"`` and no defaults: every number comes from the file, each with its
source. :func:`charge_for_skip` turns one enforcement finding (a row of
:func:`store.skip_enforcement.skips_without_valid_permit`) into the charge, each part
with the source of its figure. Both the CLI and the API call it: one rule, one place.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roadcam.errors import ConfigError, InputNotFoundError

DEFAULT_SKIP_POLICY_PATH = Path(__file__).resolve().parent / "policies" / "skips.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Strict):
    """A number and where it comes from."""

    value: float = Field(ge=0)
    source: str = Field(min_length=1)


class Licence(_Strict):
    fee_gbp: Sourced
    period_days: Sourced


class Overstay(_Strict):
    renewal_fee_gbp: Sourced


class Unlicensed(_Strict):
    retrospective_licence_multiplier: Sourced
    fixed_penalty_gbp: Sourced
    prosecution_max_fine_gbp: Sourced


class Evidence(_Strict):
    min_sightings: Sourced
    permit_radius_m: Sourced


class SkipPolicy(_Strict):
    """A validated skip-charging policy (see the YAML file for each key's meaning)."""

    name: str = Field(min_length=1)
    licence: Licence
    overstay: Overstay
    unlicensed: Unlicensed
    evidence: Evidence


def load_skip_policy(path: str | Path | None = None) -> SkipPolicy:
    """Read and validate a skip policy (the shipped Medway one when ``path`` is None)."""
    import yaml

    p = Path(path) if path is not None else DEFAULT_SKIP_POLICY_PATH
    if not p.is_file():
        raise InputNotFoundError("no such skip policy file", path=str(p))
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        return SkipPolicy.model_validate(raw)
    except yaml.YAMLError as err:
        raise ConfigError(f"skip policy is not valid YAML: {err}", path=str(p)) from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"skip policy: {where}: {first['msg']}", path=str(p)) from None


def _periods(days: int, period_days: float) -> int:
    return max(1, math.ceil(days / period_days))


def charge_for_skip(finding: dict[str, Any], policy: SkipPolicy) -> dict[str, Any]:
    """The charge for one finding: ``licence_fee_gbp``, ``overstay_gbp``, ``unlicensed_gbp``,
    ``total_gbp``, ``basis`` (one line) and ``sources`` (the source of each figure used).

    * ``permitted``: nothing.
    * ``overstay`` (a licence covered the first day seen, not the last): one renewal fee
      per started licence period after the licence ended (``overstay_days``).
    * ``unlicensed``: a retrospective licence for the days on the highway (fee x
      multiplier per started period) plus the fixed penalty. The prosecution maximum
      is reported in ``sources``, never added.
    """
    lic, over, unl = policy.licence, policy.overstay, policy.unlicensed
    out: dict[str, Any] = {"licence_fee_gbp": 0.0, "overstay_gbp": 0.0, "unlicensed_gbp": 0.0}
    sources: dict[str, str] = {}
    state = finding["permit_state"]
    if state == "overstay":
        n = _periods(int(finding["overstay_days"]), lic.period_days.value)
        out["overstay_gbp"] = n * over.renewal_fee_gbp.value
        out["basis"] = (
            f"{finding['overstay_days']} day(s) after permit {finding['permit_reference']} ended:"
            f" {n} renewal(s) of {lic.period_days.value:g} days"
        )
        sources = {
            "overstay_gbp": over.renewal_fee_gbp.source,
            "period_days": lic.period_days.source,
        }
    elif state == "unlicensed":
        n = _periods(int(finding["days_on_highway"]), lic.period_days.value)
        mult = unl.retrospective_licence_multiplier.value
        out["licence_fee_gbp"] = n * lic.fee_gbp.value * mult
        out["unlicensed_gbp"] = unl.fixed_penalty_gbp.value
        out["basis"] = (
            f"no licence: {n} retrospective licence(s) of {lic.period_days.value:g} days at"
            f" {mult:g}x £{lic.fee_gbp.value:g}, plus the fixed penalty"
            f" (prosecution up to £{unl.prosecution_max_fine_gbp.value:g} is for a court)"
        )
        sources = {
            "licence_fee_gbp": lic.fee_gbp.source,
            "period_days": lic.period_days.source,
            "retrospective_licence_multiplier": unl.retrospective_licence_multiplier.source,
            "unlicensed_gbp": unl.fixed_penalty_gbp.source,
            "prosecution_max_fine_gbp": unl.prosecution_max_fine_gbp.source,
        }
    else:
        out["basis"] = f"covered by permit {finding.get('permit_reference')}"
    out["total_gbp"] = round(
        out["licence_fee_gbp"] + out["overstay_gbp"] + out["unlicensed_gbp"], 2
    )
    out["sources"] = sources
    return out


def charged_findings(findings: list[dict[str, Any]], policy: SkipPolicy) -> list[dict[str, Any]]:
    """Each finding with its ``charge`` (:func:`charge_for_skip`)."""
    return [{**f, "charge": charge_for_skip(f, policy)} for f in findings]


CSV_COLUMNS = (
    "defect_id",
    "permit_state",
    "street",
    "nearest_address",
    "lat",
    "lon",
    "first_seen",
    "last_seen",
    "days_on_highway",
    "sightings",
    "best_confidence",
    "permit_reference",
    "covered_until",
    "overstay_days",
    "other_permit_reference",
    "licence_fee_gbp",
    "overstay_gbp",
    "unlicensed_gbp",
    "total_gbp",
    "basis",
    "sources",
    "evidence_frames",
)


def csv_row(finding: dict[str, Any]) -> dict[str, Any]:
    """One charged finding as a flat CSV row (:data:`CSV_COLUMNS`; lists joined by ' | ')."""
    charge = finding["charge"]
    row: dict[str, Any] = {}
    for col in CSV_COLUMNS:
        value = charge.get(col) if col in charge else finding.get(col)
        if col == "sources":
            value = " | ".join(f"{k}: {v}" for k, v in charge["sources"].items())
        elif col == "evidence_frames":
            value = " | ".join(finding["evidence_frames"])
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        row[col] = "" if value is None else value
    return row
