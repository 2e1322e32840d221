"""A contractor's photos of a repair: upload (its own claims only) and view."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Path, Request, UploadFile
from fastapi.responses import FileResponse

from api.auth import CLAIMANTS, Principal, Reader, require_roles
from api.deps import ClaimIdPath, SessionDep
from api.routes.history import may_see_claim
from api.schemas.repair import RepairClaimPublic

router = APIRouter(tags=["repairs"])
MAX_PHOTO_PX = 4096


def _claim_for(session, claim_id: int, user: Principal):
    from store.claims import get_repair_claim

    claim = get_repair_claim(session, claim_id)
    if claim is None or not may_see_claim(user, claim.contractor):
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
    return claim


def _as_jpeg(data: bytes, request: Request) -> bytes:
    """Decode, blur people and number plates, re-encode: refuses non-images, and drops EXIF
    (GPS, camera owner) on the way."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise HTTPException(status_code=422, detail="not a JPEG or PNG image")
    if max(image.shape[:2]) > MAX_PHOTO_PX:
        raise HTTPException(status_code=422, detail=f"photo larger than {MAX_PHOTO_PX} px")
    image = _privacy_blurred(image, request)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return bytes(buf)


def _privacy_blurred(image, request: Request):
    """People and plate zones blurred before the photo is stored (setting ``privacy_blur``)."""
    settings = request.app.state.settings
    if not settings.privacy_blur:
        return image
    blurrer = getattr(request.app.state, "privacy_blurrer", None)
    if blurrer is None:
        from detector.privacy import PrivacyBlurrer

        blurrer = PrivacyBlurrer(settings.privacy_weights_path)
        request.app.state.privacy_blurrer = blurrer
    return blurrer.blur(image)


@router.post("/repair-claims/{claim_id}/photos", response_model=RepairClaimPublic, status_code=201)
def add_photo(
    claim_id: ClaimIdPath,
    photo: Annotated[UploadFile, File(description="JPEG or PNG of the repair")],
    request: Request,
    session: SessionDep,
    user: Annotated[Principal, Depends(require_roles(*CLAIMANTS))],
) -> RepairClaimPublic:
    """Attach a photo to a claim (a contractor: its own claims only)."""
    from store.audit import record_event
    from store.claim_photos import add_claim_photo

    claim = _claim_for(session, claim_id, user)
    jpeg = _as_jpeg(photo.file.read(), request)
    number = add_claim_photo(session, claim.id, request.app.state.settings.data_dir, jpeg)
    record_event(session, "repair_claim", claim.id, "photo", user.username, None, f"{number}.jpg")
    return RepairClaimPublic.model_validate(claim)


@router.get(
    "/repair-claims/{claim_id}/photos/{number}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_photo(
    claim_id: ClaimIdPath,
    number: Annotated[int, Path(ge=1, le=1000)],
    request: Request,
    session: SessionDep,
    user: Reader,
) -> FileResponse:
    """One of a claim's photos."""
    from store.claim_photos import claim_photo_path

    _claim_for(session, claim_id, user)
    path = claim_photo_path(FsPath(request.app.state.settings.data_dir), claim_id, number)
    if path is None:
        raise HTTPException(status_code=404, detail=f"claim {claim_id} has no photo {number}")
    return FileResponse(path, media_type="image/jpeg")
