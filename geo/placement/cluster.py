"""From sightings to defects: merge observations of one real defect.

A pothole seen in 12 frames on 3 days is one pothole. Two observations are the
same defect when they have the same class and

* lie on the same segment within ``max_chainage_gap_m`` along it and
  ``max_offset_gap_m`` across it, or
* (when either is off the network, or they sit on different segments, e.g. either
  side of a junction node) lie within ``max_distance_m`` of each other.

Merging is single-linkage over those pairs (a union-find on a KD-tree's close
pairs), then each new cluster is merged into the nearest stored defect of the
same class that passes the same test. Positions are averaged in a metric CRS,
never in degrees.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from geo.crs import lonlat_from_xy, metric_crs_for_lonlat, xy_from_lonlat
from geo.types import DefectCandidate, Observation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeRules:
    """Thresholds for "the same defect". Defaults suit a 5 m frame spacing and ~3 m GPS."""

    max_chainage_gap_m: float = 4.0
    max_offset_gap_m: float = 2.0
    max_distance_m: float = 4.0
    #: linear defects (a worn line is seen in pieces along its length) join over longer gaps
    linear_gap_m: dict[str, float] = field(default_factory=lambda: {"faded_marking": 10.0})

    def __post_init__(self) -> None:
        gaps = [
            self.max_chainage_gap_m,
            self.max_offset_gap_m,
            self.max_distance_m,
            *self.linear_gap_m.values(),
        ]
        if min(gaps) <= 0:
            raise ValueError("merge thresholds must be > 0")

    def chainage_gap_m(self, class_name: str) -> float:
        return self.linear_gap_m.get(class_name, self.max_chainage_gap_m)

    def distance_m(self, class_name: str) -> float:
        return self.linear_gap_m.get(class_name, self.max_distance_m)

    @property
    def search_radius_m(self) -> float:
        longest = max([self.max_chainage_gap_m, *self.linear_gap_m.values()])
        return max(self.max_distance_m, float(np.hypot(longest, self.max_offset_gap_m)))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _same_defect(
    cls_a: str, seg_a, ch_a, off_a, xy_a, cls_b: str, seg_b, ch_b, off_b, xy_b, rules: MergeRules
) -> bool:
    if cls_a != cls_b:
        return False
    if seg_a is not None and seg_a == seg_b and ch_a is not None and ch_b is not None:
        off_ok = off_a is None or off_b is None or abs(off_a - off_b) <= rules.max_offset_gap_m
        return abs(ch_a - ch_b) <= rules.chainage_gap_m(cls_a) and off_ok
    return float(np.hypot(xy_a[0] - xy_b[0], xy_a[1] - xy_b[1])) <= rules.distance_m(cls_a)


def cluster_observations(
    observations: Sequence[Observation], rules: MergeRules = MergeRules(), crs: str | None = None
) -> list[list[int]]:
    """Group observation indexes into clusters, one per real defect (sorted, deterministic)."""
    from scipy.spatial import cKDTree

    n = len(observations)
    if n == 0:
        return []
    lon = np.array([o.lon for o in observations])
    lat = np.array([o.lat for o in observations])
    crs = crs or metric_crs_for_lonlat(float(lon.mean()), float(lat.mean()))
    x, y = xy_from_lonlat(lon, lat, crs)
    xy = np.column_stack([x, y])
    uf = _UnionFind(n)
    for i, j in cKDTree(xy).query_pairs(rules.search_radius_m, output_type="ndarray"):
        a, b = observations[i], observations[j]
        if _same_defect(
            a.class_name,
            a.segment_id,
            a.chainage_m,
            a.offset_m,
            xy[i],
            b.class_name,
            b.segment_id,
            b.chainage_m,
            b.offset_m,
            xy[j],
            rules,
        ):
            uf.union(int(i), int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _candidate_from_cluster(
    observations: Sequence[Observation], members: list[int], xy: np.ndarray, crs: str
) -> DefectCandidate:
    obs = [observations[i] for i in members]
    weights = np.array([o.confidence for o in obs]) + 1e-6
    cx = float(np.average(xy[members, 0], weights=weights))
    cy = float(np.average(xy[members, 1], weights=weights))
    lon, lat = lonlat_from_xy(cx, cy, crs)
    best = max(range(len(obs)), key=lambda k: obs[k].confidence)
    on_net = [o for o in obs if o.segment_id is not None]
    segment_id = chainage = offset = None
    if on_net:
        # the segment most sightings agree on, and the mean chainage/offset there
        segs = [o.segment_id for o in on_net]
        segment_id = max(sorted(set(segs)), key=segs.count)
        same = [o for o in on_net if o.segment_id == segment_id]
        chainage = float(np.mean([o.chainage_m for o in same]))
        offs = [o.offset_m for o in same if o.offset_m is not None]
        offset = float(np.mean(offs)) if offs else None
    return DefectCandidate(
        class_name=obs[0].class_name,
        lon=float(lon),
        lat=float(lat),
        segment_id=segment_id,
        chainage_m=chainage,
        offset_m=offset,
        first_seen=min(o.time for o in obs),
        last_seen=max(o.time for o in obs),
        sightings=len(obs),
        max_width_m=max(o.width_m for o in obs),
        best_confidence=obs[best].confidence,
        best_frame_index=obs[best].frame_index,
        best_source=obs[best].source,
        observation_keys=tuple(members),
    )


def merge_candidates(existing: DefectCandidate, new: DefectCandidate, crs: str) -> DefectCandidate:
    """Fold a new cluster into a stored defect: dates widen, counts add, position is sightings-weighted."""
    x, y = xy_from_lonlat([existing.lon, new.lon], [existing.lat, new.lat], crs)
    w = np.array([existing.sightings, new.sightings], float)
    lon, lat = lonlat_from_xy(float(np.average(x, weights=w)), float(np.average(y, weights=w)), crs)
    take_new = new.best_confidence > existing.best_confidence
    return DefectCandidate(
        class_name=existing.class_name,
        lon=float(lon),
        lat=float(lat),
        segment_id=existing.segment_id or new.segment_id,
        chainage_m=existing.chainage_m if existing.segment_id else new.chainage_m,
        offset_m=existing.offset_m if existing.segment_id else new.offset_m,
        first_seen=min(existing.first_seen, new.first_seen),
        last_seen=max(existing.last_seen, new.last_seen),
        sightings=existing.sightings + new.sightings,
        max_width_m=max(existing.max_width_m, new.max_width_m),
        best_confidence=max(existing.best_confidence, new.best_confidence),
        best_frame_index=new.best_frame_index if take_new else existing.best_frame_index,
        best_source=new.best_source if take_new else existing.best_source,
        defect_id=existing.defect_id,
        observation_keys=new.observation_keys,
    )


def _nearest_same_defect(
    cand: DefectCandidate,
    existing: Sequence[DefectCandidate],
    existing_xy: tuple[np.ndarray, np.ndarray],
    crs: str,
    rules: MergeRules,
) -> int | None:
    """Index of the nearest stored defect that ``cand`` is the same defect as (None: none is)."""
    ex_x, ex_y = existing_xy
    cx, cy = xy_from_lonlat(cand.lon, cand.lat, crs)
    best_k, best_d = None, np.inf
    for k, d in enumerate(existing):
        dist = float(np.hypot(ex_x[k] - cx, ex_y[k] - cy))
        if dist < best_d and _same_defect(
            d.class_name,
            d.segment_id,
            d.chainage_m,
            d.offset_m,
            (ex_x[k], ex_y[k]),
            cand.class_name,
            cand.segment_id,
            cand.chainage_m,
            cand.offset_m,
            (float(cx), float(cy)),
            rules,
        ):
            best_k, best_d = k, dist
    return best_k


def defects_from_observations(
    observations: Sequence[Observation],
    existing: Sequence[DefectCandidate] = (),
    rules: MergeRules = MergeRules(),
) -> list[DefectCandidate]:
    """Merge observations into defects, folding them into ``existing`` stored defects where they match.

    Returns one candidate per cluster: with ``defect_id`` set when it updates a
    stored defect (several clusters that hit the same stored defect are folded
    into one update), ``None`` when it is new. ``observation_keys`` lists the
    observation indexes each candidate took.
    """
    if not observations:
        return []
    lon = np.array([o.lon for o in observations])
    lat = np.array([o.lat for o in observations])
    crs = metric_crs_for_lonlat(float(lon.mean()), float(lat.mean()))
    x, y = xy_from_lonlat(lon, lat, crs)
    xy = np.column_stack([x, y])
    clusters = [
        _candidate_from_cluster(observations, m, xy, crs)
        for m in cluster_observations(observations, rules, crs)
    ]
    if not existing:
        return clusters

    ex_x, ex_y = xy_from_lonlat([d.lon for d in existing], [d.lat for d in existing], crs)
    updates: dict[int, DefectCandidate] = {}
    out: list[DefectCandidate] = []
    for cand in clusters:
        best_k = _nearest_same_defect(cand, existing, (ex_x, ex_y), crs, rules)
        if best_k is None:
            out.append(cand)
            continue
        base = updates.get(best_k, existing[best_k])
        merged = merge_candidates(base, cand, crs)
        if best_k in updates:
            merged = DefectCandidate(
                **{
                    **merged.__dict__,
                    "observation_keys": base.observation_keys + cand.observation_keys,
                }
            )
        updates[best_k] = merged
    log.debug("merged %d clusters: %d new, %d updates", len(clusters), len(out), len(updates))
    return list(updates.values()) + out
