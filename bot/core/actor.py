"""Who acts: the one value a request's rules are checked against.

An `Actor` is built once where a request starts (a slash command, a click, an API call, a
timer) and passed to every service and flow in place of a user id with the admin list and the
group reader beside it. It says who acts (`user`, for the audit trail), whether they are a
workspace admin (`RELEASEBOT_ADMINS`), and which user groups they are in, asked of Slack only
when a rule needs to know and at most once per group within the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core.audit import SYSTEM_ACTOR

# A group id -> its members now (DomainError when Slack cannot say).
MembersOf = Callable[[str], frozenset[str]]


def _no_groups(group_id: str) -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class Actor:
    """A person (or the bot itself) acting in one request.

    `members_of` is the request's reader of user groups (`Directory.members_of`); a rule that
    expands a group the actor names (a poll's voters) reads it through the same reader.
    """

    user: str
    admin: bool = False
    members_of: MembersOf = field(default=_no_groups, compare=False, repr=False)
    _in: dict[str, bool] = field(default_factory=dict, init=False, compare=False, repr=False)

    def in_group(self, group_id: str) -> bool:
        """True when the actor is a member of the user group now (Slack asked once per group)."""
        if group_id not in self._in:
            self._in[group_id] = self.user in self.members_of(group_id)
        return self._in[group_id]

    def holds(self, holders: Iterable[str]) -> bool:
        """True when the actor is one of the holders or in one of their user groups.

        People are checked first, so Slack is asked about groups only when it matters.
        """
        listed = list(holders)
        if self.user in listed:
            return True
        return any(self.in_group(h) for h in listed if h.startswith("S"))


# The bot itself, acting on its timers: no admin, in no group.
SYSTEM = Actor(SYSTEM_ACTOR)
