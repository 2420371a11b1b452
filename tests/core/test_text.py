"""User text: decoded once on the way in, and cut without breaking a Slack token."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text.commandline import split
from bot.core.text.escape import escape
from bot.core.text.fit import cut, fit_items, fit_lines

TOKENS = [
    "<@U012ABCDEF>",
    "<@U012ABCDEF|dana>",
    "<!subteam^S0123ABC|@release-leads>",
    "<#C0123|release-1-31>",
    "<!date^1796077067^{date_short_pretty} at {time}|Mon 30 Nov 2026 at 10:00 PT>",
    "<https://ci.example.com/job/1|build 1>",
    "&amp;",
    "&lt;",
]
_ATOM = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);")


def test_command_text_is_decoded_once_and_mentions_stay_tokens() -> None:
    line = split("new R&amp;D &lt;beta&gt; <@U1|dana> -- because &amp; why")
    assert line.words == ["new", "R&D", "<beta>", "<@U1|dana>"]
    assert line.reason == "because & why"
    assert escape(" ".join(line.args[:2])) == "R&amp;D &lt;beta&gt;"


def _whole_tokens(text: str) -> bool:
    """No `<` without its `>`, no `&` that starts a broken entity."""
    stripped = _ATOM.sub("", text)
    return "<" not in stripped and ">" not in stripped and not re.search(r"&(a|am|l|g)?$", text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(alphabet="abc xyz,.", max_size=12))),
    st.integers(min_value=1, max_value=400),
)
def test_cut_never_splits_a_token_and_keeps_to_the_limit(parts: list[str], limit: int) -> None:
    text = "".join(parts)
    shown = cut(text, limit)
    assert len(shown) <= max(limit, 1)
    assert _whole_tokens(shown)
    if len(text) <= limit:
        assert shown == text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30), max_size=60),
    st.integers(min_value=60, max_value=3000),
)
def test_fit_lines_keeps_whole_lines_and_counts_the_rest(
    groups: list[list[str]], limit: int
) -> None:
    lines = [" ".join(group) for group in groups]
    shown = fit_lines(lines, limit, more=lambda n: f"and {n} more")
    assert len(shown) <= limit and _whole_tokens(shown)
    shown_lines = [line for line in shown.split("\n") if line]
    left = re.fullmatch(r"and (\d+) more", shown_lines[-1]) if shown_lines else None
    kept = shown_lines[:-1] if left else shown_lines
    assert kept == lines[: len(kept)] or kept[-1].endswith("…")  # whole lines, in order
    assert len(kept) + (int(left.group(1)) if left else 0) == len(lines)


def test_fit_items_says_how_many_were_left_out() -> None:
    items = [f"gate {i}" for i in range(30)]
    shown = fit_items(items, 10, lambda n: f"and {n} more")
    assert len(shown) == 10 and shown[-1] == "and 21 more"
    assert fit_items(items[:5], 10, lambda n: "x") == items[:5]
