"""Policy files for the hierarchy review (default.yaml; a package so wheels ship it)."""
