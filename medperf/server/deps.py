"""Request dependencies: the database session and the authenticated user (Bearer token)."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from medperf.server.services.lookup import MAX_ID
from medperf.server.services.users import authenticate
from medperf.server.tables import User

_bearer = HTTPBearer(auto_error=False, description="an API token issued by the registry admin")


READ_METHODS = frozenset({"GET", "HEAD"})
"""Methods whose handlers only read: their session runs on the app's read engine (autocommit on Postgres)."""


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request on the app's engine (the read engine for GET and HEAD).

    Opening a session does no I/O (it connects on first use), so it is opened on the event loop. Closing
    it goes to a worker thread only while it holds a transaction (its ROLLBACK is a round trip); a session
    that committed, or one on the autocommit read engine, returns its connection without I/O, so it is
    closed here, saving a thread hop.
    """
    state = request.app.state
    read = request.method in READ_METHODS
    session = Session(state.read_engine if read else state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction() and not (read and state.read_engine is not state.engine):
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The clear token of the `Authorization: Bearer` header; 401 when it is missing or of another scheme."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Authorization: send 'Bearer <token>' (ask the registry admin for a token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def user_for_token(session: Session, token: str) -> User:
    """The user owning the token; 401 when it is unknown or revoked."""
    user = authenticate(session, token)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Authorization: the token is unknown or revoked",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def get_current_user(session: SessionDep, token: BearerToken) -> User:
    """The user owning the Bearer token; 401 when it is missing, unknown or revoked.

    A sync endpoint of a GuardedRoute does not run this dependency (a thread hop of its own): the route
    checks the header on the event loop and looks the token up in the endpoint's thread (see auth_hop.py).
    """
    return user_for_token(session, token)


CurrentUser = Annotated[User, Depends(get_current_user)]

Limit = Annotated[int, Query(ge=1, le=500, description="page size (1..500)")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
