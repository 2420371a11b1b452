"""Fitting text and lists into Slack's limits without breaking what Slack would parse.

Slack's mrkdwn carries tokens (`<@U123>`, `<!subteam^S1|@leads>`, `<#C1>`, `<!date^...>`,
`<https://x|label>`) and entities (`&amp;`): a cut through one shows raw markup, or a
broken date, to the reader. Everything here cuts between tokens, and a list that does not
fit shows what fits whole and says how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

ELLIPSIS = "…"
# A Slack token or an HTML entity: never cut inside one.
_ATOM = re.compile(r"<[^<>\n]{0,4000}>|&(?:amp|lt|gt);")


def cut(text: str, limit: int) -> str:
    """The text in at most `limit` characters, cut between tokens, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 0)
    end = room
    for match in _ATOM.finditer(text, 0, room + 4001):
        if match.start() >= room:
            break
        if match.end() > room:  # the cut falls inside this token: cut before it
            end = match.start()
            break
    return text[:end].rstrip() + ELLIPSIS


def fit_lines(
    lines: Sequence[str],
    limit: int,
    more: Callable[[int], str] = lambda n: f"_…and {n} more_",
    sep: str = "\n",
) -> str:
    """Whole lines that fit in `limit` characters, then a line saying how many were left out.

    A single line longer than the limit is cut (between tokens) rather than dropped.
    """
    joined = sep.join(lines)
    if len(joined) <= limit:
        return joined
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        tail = more(len(lines) - index - 1)
        needed = len(line) + (len(sep) if kept else 0)
        if used + needed + len(sep) + len(tail) > limit:
            if not kept:  # not even one line fits whole: cut it
                left = len(lines) - 1
                note = more(left) if left else ""
                room = limit - (len(sep) + len(note) if note else 0)
                return cut(line, room) + (sep + note if note else "")
            return sep.join(kept) + sep + more(len(lines) - index)
        kept.append(line)
        used += needed
    return sep.join(kept)


def fit_items(items: Sequence[str], limit: int, more: Callable[[int], str]) -> list[str]:
    """At most `limit` items; when some are left out, the last kept place says how many."""
    if len(items) <= limit:
        return list(items)
    shown = list(items[: max(limit - 1, 0)])
    return [*shown, more(len(items) - len(shown))]
