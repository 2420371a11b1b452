"""Claiming a side effect before doing it: the first claimant wins, everyone else skips."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.models import Claim


def claim(session: Session, key: str, now: datetime) -> bool:
    """Insert the claim row; True only for the transaction that inserted it.

    Commit the claim before the side effect: a crash after the commit and before the post
    loses that post rather than repeating it.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Claim).values(key=key[:200], claimed_at=now).on_conflict_do_nothing()
    result = session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
