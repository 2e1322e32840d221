"""Photos a contractor attaches to a repair claim (stored as files, listed in the claim's evidence)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError
from store.models import RepairClaim


def claim_photo_dir(data_dir: Path, claim_id: int) -> Path:
    return Path(data_dir) / "claim_photos" / str(int(claim_id))


def add_claim_photo(session: Session, claim_id: int, data_dir: Path, jpeg: bytes) -> int:
    """Save a JPEG for a claim; return its number (1, 2, ...) and list it in ``evidence.photos``."""
    claim = session.get(RepairClaim, claim_id)
    if claim is None:
        raise InputNotFoundError(f"repair claim {claim_id} not found")
    evidence = dict(claim.evidence or {})
    photos = list(evidence.get("photos", []))
    number = len(photos) + 1
    folder = claim_photo_dir(data_dir, claim_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{number}.jpg").write_bytes(jpeg)
    photos.append(f"{number}.jpg")
    claim.evidence = {**evidence, "photos": photos}
    session.flush()
    return number


def claim_photo_path(data_dir: Path, claim_id: int, number: int) -> Path | None:
    path = claim_photo_dir(data_dir, claim_id) / f"{int(number)}.jpg"
    return path if path.is_file() else None
