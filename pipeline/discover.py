"""Find the footage in the paths an operator gives: videos with their GPS, or geotagged JPEGs.

A video's GPS comes from a side-car with the same stem (``.gpx``, ``.gps``
(BlackVue NMEA), ``.nmea``, ``.csv``) or, failing that, from the video itself
(GoPro GPMF). A folder whose JPEGs are not beside a video is one image survey.
Files roadcam does not read (GeoJSON, YAML, READMEs) are ignored in folders, but
naming one directly is an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from roadcam.errors import InputNotFoundError, UnsupportedFormatError

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".ts"}
IMAGE_SUFFIXES = {".jpg", ".jpeg"}


@dataclass(frozen=True)
class FootageItem:
    """One unit of work: a video (with its GPS source) or a folder of geotagged images."""

    kind: str  # "video" or "images"
    path: Path
    gps_path: Path | None = None  # side-car; None = embedded (GPMF) or EXIF
    vehicle_id: str = "unknown"

    def __post_init__(self) -> None:
        if self.kind not in ("video", "images"):
            raise ValueError(f"unknown footage kind {self.kind!r}")

    @property
    def files(self) -> list[Path]:
        """The files whose content identifies this survey."""
        if self.kind == "images":
            return sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return [self.path] + ([self.gps_path] if self.gps_path else [])


def sidecar_for_video(video: Path) -> Path | None:
    """The GPS side-car next to ``video`` (same stem; BlackVue ``_NF.mp4`` → ``_N.gps``), if any."""
    from geo.ingest.gps import find_sidecar

    return find_sidecar(video)


def discover_footage(paths: list[str | Path], vehicle_id: str | None = None) -> list[FootageItem]:
    """Expand files and folders into footage items, in a stable order."""
    items: list[FootageItem] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputNotFoundError("no such file or folder", path=str(path))
        if path.is_file():
            suffix = path.suffix.lower()
            if suffix in VIDEO_SUFFIXES:
                items.append(
                    FootageItem(
                        "video", path, sidecar_for_video(path), vehicle_id or path.parent.name
                    )
                )
            elif suffix in IMAGE_SUFFIXES:
                raise UnsupportedFormatError(
                    "give the folder of geotagged JPEGs, not one image", path=str(path)
                )
            else:
                raise UnsupportedFormatError(
                    f"not footage (videos: {', '.join(sorted(VIDEO_SUFFIXES))}; or a folder of JPEGs)",
                    path=str(path),
                )
            continue
        items.extend(_discover_folder(path, vehicle_id))
    seen: set[Path] = set()
    unique = []
    for item in items:
        if item.path.resolve() not in seen:
            seen.add(item.path.resolve())
            unique.append(item)
    return unique


def _discover_folder(folder: Path, vehicle_id: str | None) -> list[FootageItem]:
    items: list[FootageItem] = []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    for video in videos:
        items.append(
            FootageItem("video", video, sidecar_for_video(video), vehicle_id or folder.name)
        )
    if not videos and any(p.suffix.lower() in IMAGE_SUFFIXES for p in files):
        items.append(FootageItem("images", folder, None, vehicle_id or folder.name))
    for sub in sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    ):
        items.extend(_discover_folder(sub, vehicle_id))
    return items


def sha256_of_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Content hash of a file, read in chunks (never the whole file in memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            h.update(chunk)
    return h.hexdigest()
