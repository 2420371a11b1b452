"""Alembic environment: targets every table in `bot/`, one migrator at a time on Postgres.

`alembic -x url=sqlite:///check.db check` (or `upgrade head`) points the command line at a
database; `releasebot migrate` passes its own engine.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import text

from bot.core.db import make_engine
from migrations.schema import metadata

MIGRATION_LOCK = 724_311_001  # advisory lock id: replicas starting together migrate in turn

config = context.config
# A caller may compare another metadata (the suite shows `alembic check` failing that way).
target_metadata = config.attributes.get("target_metadata") or metadata()


def _url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or (
        config.get_main_option("sqlalchemy.url") or ""
    )


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Our column types by their import path, so generated migrations import what they use."""
    module = type(obj).__module__
    if kind == "type" and module.startswith("bot."):
        autogen_context.imports.add(f"import {module}")
        return f"{module}.{type(obj).__name__}()"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(_url())
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                render_item=_render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if postgres:
                connection.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
