"""notebooks/hierarchy_review.ipynb runs headless (the same check nbmake makes)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_hierarchy_notebook_runs(repo_root):
    import nbclient
    import nbformat

    path = repo_root / "notebooks" / "hierarchy_review.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert "raised from 4b to 4a: shortest route to Medway Maritime Hospital" in text
    assert "override to minor (from 4b) by Highways engineer" in text
