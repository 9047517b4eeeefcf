"""Bring a database's schema up to date with the Alembic migrations, from code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from forum.settings import resource_dir


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration, built in code: no alembic.ini is needed at run time.

    The migrations are the checkout's `migrations/` or, in an installed wheel, the copy
    inside the package (see forum.settings.resource_dir); migrations/env.py reads the database
    URL from the `database_url` attribute.
    """
    migrations = resource_dir("migrations")
    if not (migrations / "env.py").is_file():
        raise FileNotFoundError(
            f"the Alembic migrations are missing: no env.py in {migrations} "
            "(was the package built without them?)"
        )
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Run the migrations (synchronously: call it before the event loop starts or in a thread)."""
    command.upgrade(alembic_config(database_url), revision)
