"""Role holders and voters that are Slack user groups: how they are named, shown and expanded.

A holder is a person (`U…`/`W…`) or a user group (`S…`), stored as its id wherever a person's
id goes (a role assignment's `user_id`). A group is mentioned as itself, once; who is in it is
read from Slack when it matters (`MembersOf`, cached briefly by `bot.core.people`), so a change
of the group in Slack counts without a command. Pure: no database, no Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.core.actor import MembersOf as MembersOf
from bot.core.text.commandline import mentioned, user_id
from bot.core.text.escape import escape

GROUP_MENTION = re.compile(r"^<!subteam\^(S[A-Z0-9_]{1,20})(?:\|[^>]*)?>$")
ANY_MENTION = re.compile(
    r"<@([UW][A-Z0-9_]{1,20})(?:\|[^>]*)?>|<!subteam\^(S[A-Z0-9_]{1,20})(?:\|[^>]*)?>"
)


def is_group(holder: str) -> bool:
    """True for a user group's id (`S…`), False for a person's."""
    return holder.startswith("S")


def group_id(word: str) -> str | None:
    """The id of a user group mention (`<!subteam^S123>` or `<!subteam^S123|@leads>`), else None."""
    match = GROUP_MENTION.match(word)
    return match.group(1) if match else None


def holder_id(word: str) -> str | None:
    """The id of a mentioned person or user group, else None."""
    return user_id(word) or group_id(word)


def holder_ids(words: list[str]) -> list[str]:
    """The ids of mentioned people and user groups; ParseError names a word that is neither."""
    return mentioned(words, holder_id, "a person or a user group")


def mention(holder: str) -> str:
    """The mention of a person or of a user group (the group itself, not its members)."""
    return f"<!subteam^{holder}>" if is_group(holder) else f"<@{holder}>"


def mentions(holders: Iterable[str]) -> str:
    """Mentions of people and groups, comma-separated, or a dash."""
    return ", ".join(mention(h) for h in holders) or "—"


def groups_in(holders: Iterable[str]) -> list[str]:
    """The user groups among the holders, in order."""
    return [h for h in holders if is_group(h)]


def via_groups(
    holders: Iterable[str], members_of: MembersOf | None
) -> list[tuple[str, str | None]]:
    """Each person the holders stand for, with the group they come through (None: named)."""
    found: dict[str, str | None] = {}
    for holder in holders:
        if not is_group(holder):
            found.setdefault(holder, None)
        elif members_of is not None:
            for member in sorted(members_of(holder)):
                found.setdefault(member, holder)
    return list(found.items())


def holds(user: str, holders: Iterable[str], members_of: MembersOf | None) -> bool:
    """True when `user` is one of the holders or a member of one of their groups.

    People are checked first, so Slack is asked about groups only when it matters.
    """
    listed = list(holders)
    if user in listed:
        return True
    if members_of is None:
        return False
    return any(user in members_of(group) for group in groups_in(listed))


def without_mentions(text: str, name_of: Callable[[str], str]) -> str:
    """The text with each mention of a person or group replaced by their name: it pings nobody.

    Names are plain text, escaped for mrkdwn.
    """
    return ANY_MENTION.sub(lambda m: escape(name_of(m.group(1) or m.group(2))), text)
