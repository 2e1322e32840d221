"""The hierarchy/inspection policy: a YAML file a council can replace.

:func:`load_policy` reads ``hierarchy/policies/default.yaml`` (or a given file),
validates it and returns a frozen :class:`Policy`. Every number lives in that
file; nothing in :mod:`hierarchy` hard-codes a band. docs/hierarchy.md
documents each key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roadcam.errors import ConfigError, InputNotFoundError

log = logging.getLogger(__name__)

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "policies" / "default.yaml"

_REQUIRED = (
    "frequencies",
    "carriageway_categories",
    "road_class_category",
    "traffic",
    "sites",
    "bus_routes",
    "winter_routes",
    "changes",
    "risk",
    "adjustment",
    "condition",
    "resource",
)


@dataclass(frozen=True)
class Category:
    """One carriageway hierarchy category."""

    code: str
    name: str
    frequency: str
    most_frequent: str
    least_frequent: str


@dataclass(frozen=True)
class Policy:
    """A validated policy. ``raw`` is the parsed YAML; the helpers read it."""

    raw: dict[str, Any]
    source: str = "<dict>"
    categories: tuple[Category, ...] = field(init=False)

    def __post_init__(self) -> None:
        raw = self.raw
        if not isinstance(raw, dict):
            raise ConfigError("policy must be a YAML mapping", path=self.source)
        missing = [k for k in _REQUIRED if k not in raw]
        if missing:
            raise ConfigError(f"policy misses keys: {', '.join(missing)}", path=self.source)
        freqs = raw["frequencies"]
        if not isinstance(freqs, dict) or not freqs:
            raise ConfigError(
                "'frequencies' must map names to inspections per year", path=self.source
            )
        for name, per_year in freqs.items():
            if not isinstance(per_year, int | float) or per_year <= 0:
                raise ConfigError(f"frequency {name!r} must be a positive number", path=self.source)
        cats = []
        for item in raw["carriageway_categories"] or []:
            try:
                cat = Category(
                    code=str(item["code"]),
                    name=str(item["name"]),
                    frequency=str(item["frequency"]),
                    most_frequent=str(item.get("most_frequent", item["frequency"])),
                    least_frequent=str(item.get("least_frequent", item["frequency"])),
                )
            except (KeyError, TypeError) as err:
                raise ConfigError(
                    f"bad carriageway category {item!r}: {err}", path=self.source
                ) from None
            for f in (cat.frequency, cat.most_frequent, cat.least_frequent):
                if f not in freqs:
                    raise ConfigError(
                        f"category {cat.code}: unknown frequency {f!r}", path=self.source
                    )
            if freqs[cat.most_frequent] < freqs[cat.least_frequent]:
                raise ConfigError(
                    f"category {cat.code}: most_frequent is rarer than least_frequent",
                    path=self.source,
                )
            cats.append(cat)
        if not cats:
            raise ConfigError("no carriageway_categories", path=self.source)
        codes = [c.code for c in cats]
        if len(set(codes)) != len(codes):
            raise ConfigError("duplicate carriageway category codes", path=self.source)
        object.__setattr__(self, "categories", tuple(cats))
        # Every category named elsewhere must exist.
        named = list(raw["road_class_category"].values())
        named += [b["category"] for b in raw["traffic"].get("aadt_bands", [])]
        named += [
            b["category"] for b in raw["traffic"].get("proxy", {}).get("top_percent_bands", [])
        ]
        named += list(raw["sites"].get("kinds", {}).values())
        named += list(raw["sites"].get("target_categories", []))
        named += [raw["bus_routes"]["category"], raw["winter_routes"]["category"]]
        named += list(raw["changes"].get("lowered_to", {}).keys()) + list(
            raw["changes"].get("lowered_to", {}).values()
        )
        named += list(raw["risk"].get("probability_by_category", {}).keys())
        for code in named:
            if str(code) not in codes:
                raise ConfigError(
                    f"unknown category {code!r} (known: {', '.join(codes)})", path=self.source
                )
        if "default" not in raw["road_class_category"]:
            raise ConfigError("road_class_category needs a 'default'", path=self.source)
        bands = raw["risk"].get("bands") or []
        if not bands or any(
            b.get("category") not in raw["risk"].get("responses", {}) for b in bands
        ):
            raise ConfigError(
                "every risk band needs a response in risk.responses", path=self.source
            )

    # ---- categories -------------------------------------------------------------
    @property
    def codes(self) -> tuple[str, ...]:
        """Category codes, highest (most important) first."""
        return tuple(c.code for c in self.categories)

    def category(self, code: str) -> Category:
        """The :class:`Category` with this code (ConfigError if unknown)."""
        for c in self.categories:
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
        table = self.raw["road_class_category"]
        return str(table.get(road_class, table["default"]))

    # ---- frequencies -------------------------------------------------------------
    def per_year(self, frequency: str) -> float:
        """Inspections per year for a frequency name."""
        try:
            return float(self.raw["frequencies"][frequency])
        except KeyError:
            raise ConfigError(f"unknown frequency {frequency!r}", path=self.source) from None

    @property
    def frequency_ladder(self) -> tuple[str, ...]:
        """Frequency names, most frequent first."""
        freqs = self.raw["frequencies"]
        return tuple(sorted(freqs, key=lambda k: -freqs[k]))

    def frequency_for(self, code: str) -> str:
        """The default safety-inspection frequency of a category."""
        return self.category(code).frequency

    def section(self, name: str) -> dict[str, Any]:
        """A top-level section of the raw policy."""
        return self.raw[name]


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
    policy = Policy(raw=raw, source=str(p))
    log.debug("loaded policy %s (%d categories)", p, len(policy.categories))
    return policy
