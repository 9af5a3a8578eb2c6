"""Server-machine operations: creating an admin (with a fresh token) and running the server."""

import os

import uvicorn
from sqlmodel import Session, select

from medperf.schemas import UserCreate
from medperf.server.db import make_engine
from medperf.server.migrate import upgrade_database
from medperf.server.services import users
from medperf.server.tables import User
from medperf.settings import ServerSettings


def create_admin(settings: ServerSettings, email: str, name: str) -> str:
    """Create (or promote) the admin with this email and return a fresh clear token for it."""
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = session.exec(select(User).where(User.email == email.lower())).first()
            if user is None:
                user = users.create_user(session, None, UserCreate(email=email, name=name, is_admin=True))
            elif not user.is_admin:
                users.promote_to_admin(session, user)
            _token, clear = users.issue_token(session, None, user.id or 0)
            return clear
    finally:
        engine.dispose()


def run_server(settings: ServerSettings, workers: int = 1) -> None:
    """Migrate the database to the latest schema, then serve the API with uvicorn."""
    upgrade_database(settings.database_url)
    os.environ["MEDPERF_SERVER_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "medperf.server.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
        access_log=False,
    )
