"""Network hierarchy review and inspection frequencies (docs/hierarchy.md).

Public functions (import them from their modules; nothing heavy happens here):

* :func:`hierarchy.policy.load_policy` – the policy YAML (default: ``policies/default.yaml``).
* :func:`hierarchy.review.review_hierarchy` – the review, a pure function on GeoDataFrames.
* :func:`hierarchy.risk.score_defect_risk` – impact × probability → risk category and response date.
* :func:`hierarchy.report.write_review_outputs` – segments.csv, segments.gpkg, summary.md/.html.
* :mod:`hierarchy.inputs` – readers for sites, traffic counts, route lines and the overrides file.
"""
