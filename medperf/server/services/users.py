"""Users and API tokens: creation by the admin, token issue/revocation, Bearer authentication."""

import hashlib
import secrets

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from medperf.schemas import UserCreate
from medperf.server.services.audit import commit_change, snapshot
from medperf.server.services.errors import Conflict, Forbidden, NotFound
from medperf.server.services.lookup import get_or_404, id_of
from medperf.server.services.rows import columns_of, detached
from medperf.server.tables import ApiToken, User

TOKEN_PREFIX = "mpt_"


def hash_token(token: str) -> str:
    """The sha256 hex digest stored in place of the clear token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_USERS = columns_of(User)
_TOKENS = columns_of(ApiToken)
_USER_OF_TOKEN = (
    sa_select(*_USERS)
    .join(ApiToken.__table__, _TOKENS.user_id == _USERS.id)  # type: ignore[attr-defined]
    .where(_TOKENS.token_hash == bindparam("token_hash"), ~_TOKENS.revoked)
)
"""Built once: every request runs it, and a reused statement skips construction and cache-key work."""


def authenticate(session: Session, token: str) -> User | None:
    """The user owning this clear token, or None when it is unknown or revoked (checked on every call).

    A Core query on the session's connection: the ORM's statement compilation and row loading cost more
    than the query's round trip. The answer is a detached User (services/rows.py); nothing writes it back.
    """
    row = session.connection().execute(_USER_OF_TOKEN, {"token_hash": hash_token(token)}).mappings().first()
    if row is None:
        return None
    return detached(User, row)


def create_user(session: Session, actor: User | None, payload: UserCreate) -> User:
    """Create a user (the admin's action); the email must be unused."""
    email = payload.email.lower()
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise Conflict(f"email: a user with email {email} already exists")
    user = User(email=email, name=payload.name, is_admin=payload.is_admin)
    commit_change(session, actor, "create", user, "user", None)
    return user


def issue_token(session: Session, actor: User | None, user_id: int) -> tuple[ApiToken, str]:
    """A fresh random token for the user: the stored row and the clear token (shown once)."""
    user = get_or_404(session, User, user_id, "user")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=id_of(user), token_hash=hash_token(clear))
    commit_change(session, actor, "create", token, "token", None)
    return token, clear


def visible_user(session: Session, actor: User, user_id: int) -> User:
    """The user with this id, if the actor is the admin or that user (404 otherwise)."""
    if not actor.is_admin and actor.id != user_id:
        raise NotFound(f"user {user_id} not found")
    return get_or_404(session, User, user_id, "user")


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke a token (its user or the admin); revoking twice is a conflict."""
    token = get_or_404(session, ApiToken, token_id, "token")
    if not actor.is_admin and token.user_id != actor.id:
        raise NotFound(f"token {token_id} not found")
    if token.revoked:
        raise Conflict(f"token {token_id} is already revoked")
    before = snapshot(token)
    token.revoked = True
    commit_change(session, actor, "revoke", token, "token", before)
    return token


def require_admin(actor: User, action: str) -> None:
    """Raise Forbidden unless the actor is an admin."""
    if not actor.is_admin:
        raise Forbidden(f"only an admin may {action}")


def promote_to_admin(session: Session, user: User) -> None:
    """Give an existing user the admin flag (from the server machine's CLI)."""
    before = snapshot(user)
    user.is_admin = True
    commit_change(session, None, "promote", user, "user", before)
