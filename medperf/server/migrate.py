"""Running the Alembic migrations programmatically (works from an installed package, no alembic.ini)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from medperf.server.settings_url import normalize_database_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = normalize_database_url(database_url)
    return config


def upgrade_database(database_url: str) -> None:
    """Bring the database to the latest schema (`alembic upgrade head`)."""
    command.upgrade(alembic_config(database_url), "head")
