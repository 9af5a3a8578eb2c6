"""Users and their API tokens."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import Page, TokenCreated, TokenPublic, UserCreate, UserPublic


class UsersApi:
    """/users: the admin creates users; anyone reads itself."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, user: UserCreate) -> UserPublic:
        """Create a user (admin only)."""
        return UserPublic.model_validate(self._http.post("/users", user.model_dump(mode="json")))

    def me(self) -> UserPublic:
        """The user the token belongs to."""
        return UserPublic.model_validate(self._http.get("/users/me"))

    def get(self, user_id: int) -> UserPublic:
        """One user (admin, or the user itself)."""
        return UserPublic.model_validate(self._http.get(f"/users/{user_id}"))

    def list(self, *, limit: int = 100, offset: int = 0, is_admin: bool | None = None) -> Page[UserPublic]:
        """Users (admin only)."""
        data = self._http.get("/users", query(limit=limit, offset=offset, is_admin=is_admin))
        return Page[UserPublic].model_validate(data)


class TokensApi:
    """API tokens: created by the admin for a user, revoked by the admin or the token's user."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, user_id: int) -> TokenCreated:
        """A new token for a user; the clear token is in the answer and never shown again."""
        return TokenCreated.model_validate(self._http.post(f"/users/{user_id}/tokens"))

    def list(self, user_id: int, *, limit: int = 100, offset: int = 0) -> Page[TokenPublic]:
        """A user's tokens (without their secret)."""
        data = self._http.get(f"/users/{user_id}/tokens", query(limit=limit, offset=offset))
        return Page[TokenPublic].model_validate(data)

    def revoke(self, token_id: int) -> TokenPublic:
        """Revoke a token; requests carrying it are refused from now on."""
        return TokenPublic.model_validate(self._http.delete(f"/tokens/{token_id}"))
