"""Sign in (OAuth2 password flow), sign out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import ALL_ROLES, Principal, oauth2_scheme, public, require_roles
from api.deps import SessionDep
from api.schemas.auth import Me, Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token)
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, Depends(public())],
) -> Token:
    """Exchange a username and password for a bearer token (``Authorization: Bearer ...``)."""
    from store.users import authenticate, issue_token

    if len(form.username) > 100 or len(form.password) > 200:
        raise HTTPException(status_code=401, detail="wrong username or password")
    user = authenticate(session, form.username, form.password)
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    hours = request.app.state.settings.session_hours
    token, row = issue_token(session, user, "session", name="sign-in", hours=hours)
    return Token(
        access_token=token, expires_at=row.expires_at, username=user.username, role=user.role
    )


@router.post("/logout", status_code=204, response_class=Response)
def sign_out(
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    _: Annotated[Principal, Depends(require_roles(*ALL_ROLES))],
) -> Response:
    """Revoke the token this request carries."""
    from store.users import revoke_token

    if token:
        revoke_token(session, token)
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(user: Annotated[Principal, Depends(require_roles(*ALL_ROLES))]) -> Me:
    """The signed-in user and their role."""
    return Me(username=user.username, role=user.role, contractor=user.contractor)
