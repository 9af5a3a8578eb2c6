"""Token revocation."""

from medperf.schemas import TokenPublic
from medperf.server.deps import CurrentUser, SessionDep
from medperf.server.routing import GuardedRouter
from medperf.server.services import users

router = GuardedRouter(prefix="/tokens", tags=["users"])


@router.delete("/{token_id}")
def revoke_token(token_id: int, session: SessionDep, actor: CurrentUser) -> TokenPublic:
    """Revoke a token at once (admin, or the token's user)."""
    return TokenPublic.model_validate(users.revoke_token(session, actor, token_id), from_attributes=True)
