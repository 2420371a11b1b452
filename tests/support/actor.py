"""Shared test builders: who acts in a service or flow call."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.actor import Actor, MembersOf
from tests.support.release import no_groups


def acting(user: str, *, admins: Iterable[str] = (), members_of: MembersOf = no_groups) -> Actor:
    """The actor a request by `user` builds, with the install's admins and a group reader."""
    return Actor(user, user in set(admins), members_of)
