"""Splitting a slash command's text into words, mentions and a trailing reason.

This is where command text enters: Slack's entities are decoded here, once, so every
feature sees what the person typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.text.escape import decode, quoted
from bot.core.text.timeparse import ParseError

MAX_TEXT = 2000
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9_]{1,20})(?:\|[^>]*)?>$")
QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}
TOKEN = re.compile(r'"([^"]*)"|\'([^\']*)\'|(<[^>]*>)|(\S+)')


@dataclass(frozen=True)
class CommandLine:
    """A command's words, and the free text after ` -- ` (the reason), if any."""

    words: list[str]
    reason: str = ""

    @property
    def sub(self) -> str:
        """The subcommand (first word, lowercased) or '' when there is none."""
        return self.words[0].lower() if self.words else ""

    @property
    def args(self) -> list[str]:
        """The words after the subcommand."""
        return self.words[1:]


def split(text: str) -> CommandLine:
    """Split text into words (quotes group words, <...> stays whole) and a `-- reason`."""
    typed = len(decode(text))
    if typed > MAX_TEXT:
        raise ParseError(f"That is {typed:,} characters; a command takes at most {MAX_TEXT:,}.")
    for fancy, plain in QUOTES.items():
        text = text.replace(fancy, plain)
    reason = ""
    head, sep, tail = text.partition(" -- ")
    if sep:
        text, reason = head, tail.strip()
    elif text.strip().startswith("-- "):
        text, reason = "", text.strip()[3:].strip()
    words = [_word(m) for m in TOKEN.finditer(text)]
    if text.count('"') % 2:
        raise ParseError('A quote is not closed: put the text between two `"` marks.')
    return CommandLine(words=words, reason=decode(reason))


def _word(match: re.Match[str]) -> str:
    """A word as typed: Slack's `<...>` tokens (mentions, links) kept, entities decoded."""
    quoted_double, quoted_single, token, plain = match.groups()
    if token is not None:
        return token
    return decode(next(g for g in (quoted_double, quoted_single, plain) if g is not None))


def user_id(word: str) -> str | None:
    """The user id of a Slack user mention (`<@U123>` or `<@U123|name>`), else None."""
    match = USER_MENTION.match(word)
    return match.group(1) if match else None


def user_ids(words: list[str]) -> list[str]:
    """Every word must be a user mention; their ids, or ParseError naming the odd word."""
    return mentioned(words, user_id, "a person")


def mentioned(words: list[str], id_of: Callable[[str], str | None], what: str) -> list[str]:
    """The id `id_of` reads from each word, or ParseError naming the first word that is not
    a mention of `what`."""
    ids: list[str] = []
    for word in words:
        found = id_of(word)
        if found is None:
            raise ParseError(
                f"{quoted(word)} is not a mention of {what}. "
                "Type @ and pick them from the list so Slack links them."
            )
        ids.append(found)
    return ids
