"""Evidence image paths are stored relative to the data folder, so the images move with it.

One rule for the pipeline (writing refs), the API (serving them) and migration 0008
(converting stored absolute paths): a path under ``data_dir`` is stored as a POSIX path relative
to it; anything else (a path elsewhere, a ``source#frame`` reference, a URL) is kept as given.
"""

from __future__ import annotations

from pathlib import Path


def ref_from_path(path: str | Path, data_dir: str | Path) -> str:
    """What to store for an evidence file (a path on this machine, relative to the working
    directory when not absolute): relative to ``data_dir`` when under it, else absolute."""
    p = Path(path).resolve()
    try:
        return p.relative_to(Path(data_dir).resolve()).as_posix()
    except ValueError:
        return str(p)


def path_from_ref(ref: str | None, data_dir: str | Path) -> Path | None:
    """The evidence file of a stored ref, or None when it is no file inside ``data_dir``.

    Relative refs are resolved against ``data_dir``; older absolute refs are accepted when they
    still point inside it. Nothing outside the data folder is ever served.
    """
    if not ref or "#" in ref or "://" in ref:
        return None
    root = Path(data_dir).resolve()
    p = Path(ref)
    p = (p if p.is_absolute() else root / p).resolve()
    if root not in p.parents or not p.is_file():
        return None
    return p
