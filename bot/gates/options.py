"""What `/gate add`, `manual`, `github` and `testgrid` take, read from Slack's command text.

These read the command text as Slack sent it (not the router's split words), because the
expectation language needs its quotes kept and ` -- ` is no reason here. Slack escapes `&`,
`<` and `>` (so `<=` arrives as `&lt;=`) and wraps links as `<https://x|label>`: every word is
decoded exactly once, with the one decoder command text has (`bot.core.text.escape.decode`):
a plain word in `raw_words`, a link's URL in `unwrap_url`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.text.escape import decode, escape, quoted
from bot.core.text.names import lowered_name
from bot.core.text.timeparse import ParseError, parse_duration
from bot.gates.probe import check, expect
from bot.release.groups import holder_id
from bot.release.roles import ROLE_NAME

KEYWORDS = ("expect", "header", "owner", "owners", "every", "after", "repeat")
NATIVE = ("owner", "owners", "every", "after", "repeat")  # a github or testgrid gate's options
ALERT_ON_YELLOW = "alert-on-yellow"  # a flag: yellow alerts like red
MAX_DAMPING = 20
MAX_ROLES = 10
_RAW = re.compile(r'"[^"]*"|\'[^\']*\'|<[^>]*>|\S+')
_FANCY = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}


@dataclass
class Options:
    """The options given; None means the default."""

    expect: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    alert_yellow: bool = False
    interval: int | None = None
    repeat: int | None = None
    damping: int | None = None


def raw_words(text: str) -> list[str]:
    """The words as typed, quotes kept; a `<...>` token (link, mention) stays as Slack sent it."""
    for fancy, plain in _FANCY.items():
        text = text.replace(fancy, plain)
    return [w if w.startswith("<") else decode(w) for w in _RAW.findall(text)]


def unquote(word: str) -> str:
    """A word without its surrounding quotes."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def unwrap_url(word: str) -> str:
    """The URL of a word of `raw_words`: inside Slack's `<https://x|label>`, decoded once."""
    if word.startswith("<") and word.endswith(">"):
        return decode(word[1:-1].split("|", 1)[0]).strip()
    return word.strip()  # raw_words decoded it already


def parse(
    words: list[str],
    *,
    min_interval: float,
    allowed: tuple[str, ...] = KEYWORDS,
    flags: tuple[str, ...] = (),
) -> Options:
    """Read `keyword value...` groups (and the `flags` allowed); ParseError says what is wrong."""
    options = Options()
    options.alert_yellow = ALERT_ON_YELLOW in flags and ALERT_ON_YELLOW in (
        word.lower() for word in words
    )
    kept = [word for word in words if word.lower() not in flags]
    for key, values in _groups(kept, allowed):
        _apply(options, key, values, min_interval)
    if len(options.roles) > MAX_ROLES:
        raise ParseError(f"A gate can be owned by at most {MAX_ROLES} roles.")
    return options


def split_at_options(
    words: list[str], allowed: tuple[str, ...], flags: tuple[str, ...] = ()
) -> int:
    """Where the options begin: the first word that is a keyword or a flag (or the end)."""
    for index, word in enumerate(words):
        if word.lower() in allowed or word.lower() in flags:
            return index
    return len(words)


def _groups(words: list[str], allowed: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    groups: list[tuple[str, list[str]]] = []
    for word in words:
        if word.lower() in allowed:
            groups.append((word.lower(), []))
        elif not groups:
            said = ", ".join(f"`{k}`" for k in allowed if k != "owners")
            raise ParseError(f"I did not understand {quoted(unquote(word))}; options are {said}.")
        else:
            groups[-1][1].append(word)
    for key, values in groups:
        if not values:
            raise ParseError(f"`{key}` needs a value after it.")
    return groups


def _apply(options: Options, key: str, values: list[str], min_interval: float) -> None:
    if key == "expect":
        text = unquote(values[0]) if len(values) == 1 else " ".join(values)
        try:
            options.expect = expect.parse(text).text or None
        except expect.ExpectError as err:
            raise ParseError(escape(str(err))) from None
    elif key in ("owner", "owners"):
        for word in values:
            uid = holder_id(word)
            if uid is not None:
                options.owners.append(uid)
            else:
                options.roles.append(_role(word))
    elif len(values) != 1:
        raise ParseError(f"`{key}` takes one value, not {quoted(' '.join(values), 60)}.")
    elif key == "header":
        try:
            options.headers.append(check.parse_header(unquote(values[0])))
        except check.HeaderError as err:
            raise ParseError(escape(str(err))) from None
    elif key == "every":
        options.interval = _seconds(values[0], key, min_interval)
    elif key == "repeat":
        options.repeat = _seconds(values[0], key, min_interval)
    elif key == "after":
        if not values[0].isdigit() or not 1 <= int(values[0]) <= MAX_DAMPING:
            raise ParseError(f"`after` takes a number of failures in a row, 1 to {MAX_DAMPING}.")
        options.damping = int(values[0])


_NOT_A_ROLE = (
    "{} is not a person or a role: type @ and pick them from the list, "
    "or name a role of the release, like `ci-signal`."
)


def _role(word: str) -> str:
    return lowered_name(word, ROLE_NAME, lambda: ParseError(_NOT_A_ROLE.format(quoted(word))))


def _seconds(word: str, key: str, minimum: float) -> int:
    span = parse_duration(word)
    if span.total_seconds() < minimum:
        raise ParseError(f"`{key}` must be at least {minimum:g}s.")
    return max(1, int(span.total_seconds()))
