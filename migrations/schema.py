"""Every table of every feature, for Alembic: the metadata with all of `bot/` imported.

Features declare their tables wherever they belong (`models.py`, the outbox); importing the
whole package is what makes sure none is missed when migrations are compared with models.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import bot


def metadata() -> MetaData:
    """SQLModel's metadata after every module of `bot` has been imported."""
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if module.name != "bot.__main__":
            importlib.import_module(module.name)
    return SQLModel.metadata
