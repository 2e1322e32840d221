"""OpenAPI links between operations (what an id in one response can be used for next).

They document the workflows (list → one → review → history; file a claim → decide it) and
let schemathesis's stateful phase chain calls. Added to the generated schema in one place,
so the routes stay as they are.
"""

from __future__ import annotations

from typing import Any

DEFECT = "/defects/{defect_id}"
#: (source method, source path, status) -> [(link name, target method, target path, {param: expression})]
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, dict[str, str]]]] = {
    ("get", "/defects", "200"): [
        ("GetDefect", "get", DEFECT, {"defect_id": "$response.body#/defects/0/id"}),
        (
            "DefectHistory",
            "get",
            DEFECT + "/history",
            {"defect_id": "$response.body#/defects/0/id"},
        ),
        ("ReviewDefect", "post", DEFECT + "/review", {"defect_id": "$response.body#/defects/0/id"}),
        (
            "ChangeStatus",
            "patch",
            DEFECT + "/status",
            {"defect_id": "$response.body#/defects/0/id"},
        ),
        (
            "FileClaim",
            "post",
            DEFECT + "/repair-claims",
            {"defect_id": "$response.body#/defects/0/id"},
        ),
    ],
    ("get", "/review/queue", "200"): [
        ("ReviewNext", "post", DEFECT + "/review", {"defect_id": "$response.body#/items/0/id"}),
        ("NextHistory", "get", DEFECT + "/history", {"defect_id": "$response.body#/items/0/id"}),
        ("NextCrop", "get", DEFECT + "/crop", {"defect_id": "$response.body#/items/0/id"}),
    ],
    ("post", DEFECT + "/review", "200"): [
        ("ReviewedDefect", "get", DEFECT, {"defect_id": "$response.body#/id"}),
        ("ReviewedHistory", "get", DEFECT + "/history", {"defect_id": "$response.body#/id"}),
    ],
    ("patch", DEFECT + "/status", "200"): [
        ("ChangedDefect", "get", DEFECT, {"defect_id": "$response.body#/id"}),
        ("ChangedHistory", "get", DEFECT + "/history", {"defect_id": "$response.body#/id"}),
    ],
    ("post", DEFECT + "/repair-claims", "201"): [
        (
            "DecideClaim",
            "post",
            "/repair-claims/{claim_id}/decision",
            {"claim_id": "$response.body#/id"},
        ),
        (
            "ClaimHistory",
            "get",
            "/repair-claims/{claim_id}/history",
            {"claim_id": "$response.body#/id"},
        ),
    ],
    ("post", "/skip-permits", "201"): [
        (
            "PermitHistory",
            "get",
            "/skip-permits/{permit_id}/history",
            {"permit_id": "$response.body#/id"},
        ),
    ],
    ("post", "/segments/{segment_id}/hierarchy/override", "201"): [
        (
            "OverrideHistory",
            "get",
            "/segments/{segment_id}/history",
            {"segment_id": "$request.path.segment_id"},
        ),
    ],
}


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Add :data:`LINKS` to a generated OpenAPI schema (operations that are absent are skipped)."""
    paths = schema.get("paths", {})
    for (method, path, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        out = response.setdefault("links", {})
        for name, t_method, t_path, params in links:
            target = paths.get(t_path, {}).get(t_method)
            if target is not None and "operationId" in target:
                out[name] = {"operationId": target["operationId"], "parameters": params}
    return schema
