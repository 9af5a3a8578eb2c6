"""Users and their tokens: the admin creates both; a user reads itself and its tokens."""

from fastapi import status
from sqlmodel import select

from medperf.schemas import Page, TokenCreated, TokenPublic, UserCreate, UserPublic
from medperf.server.deps import CurrentUser, Limit, Offset, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import users
from medperf.server.services.paging import paginate
from medperf.server.tables import ApiToken, User

router = GuardedRouter(prefix="/users", tags=["users"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(payload: UserCreate, session: SessionDep, actor: CurrentUser) -> UserPublic:
    """Create a user (admin only)."""
    users.require_admin(actor, "create users")
    return UserPublic.model_validate(users.create_user(session, actor, payload), from_attributes=True)


@router.get("")
def list_users(
    session: SessionDep,
    actor: CurrentUser,
    is_admin: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[UserPublic]:
    """All users (admin only), optionally only admins or non-admins."""
    users.require_admin(actor, "list users")
    stmt = select(User)
    if is_admin is not None:
        stmt = stmt.where(User.is_admin == is_admin)
    return paginate(session, stmt, UserPublic, limit, offset)


@router.get("/me")
def read_me(actor: CurrentUser) -> UserPublic:
    """The caller's own account."""
    return UserPublic.model_validate(actor, from_attributes=True)


@router.get("/{user_id}")
def read_user(user_id: int, session: SessionDep, actor: CurrentUser) -> UserPublic:
    """One user (admin, or the user itself)."""
    return UserPublic.model_validate(users.visible_user(session, actor, user_id), from_attributes=True)


@router.post("/{user_id}/tokens", status_code=status.HTTP_201_CREATED)
def create_token(user_id: int, session: SessionDep, actor: CurrentUser) -> TokenCreated:
    """Issue a new token for the user (admin only); the clear token is shown only in this answer."""
    users.require_admin(actor, "issue tokens")
    token, clear = users.issue_token(session, actor, user_id)
    return TokenCreated(**TokenPublic.model_validate(token, from_attributes=True).model_dump(), token=clear)


@router.get("/{user_id}/tokens")
def list_tokens(
    user_id: int, session: SessionDep, actor: CurrentUser, limit: Limit = 100, offset: Offset = 0
) -> Page[TokenPublic]:
    """The user's tokens, without their secrets (admin, or the user itself)."""
    users.visible_user(session, actor, user_id)
    stmt = select(ApiToken).where(ApiToken.user_id == user_id)
    return paginate(session, stmt, TokenPublic, limit, offset)
