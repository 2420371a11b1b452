"""Alembic driven from code: upgrade to head, and tell whether the schema is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import migrations
from bot.core.db import Database

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent  # shipped as a package


def alembic_config(db: Database) -> Config:
    """An Alembic Config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision."""
    command.upgrade(alembic_config(db), "head")


def pending(db: Database) -> tuple[str | None, str | None]:
    """(current revision, head revision); equal when the schema is current."""
    script = ScriptDirectory.from_config(alembic_config(db))
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, script.get_current_head()
