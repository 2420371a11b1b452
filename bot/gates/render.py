"""Block Kit for gates: the gate card, alerts, re-pings, recovery notes, lists. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.blocks import Blocks, actions, button, context, mentions, mrkdwn
from bot.core.text.escape import escape, quoted, shorten
from bot.core.text.fit import cut, fit_lines
from bot.core.text.timefmt import duration, when
from bot.gates import ids
from bot.gates.alerting import FAILING, PASSING, UNKNOWN
from bot.gates.models import HTTP, MANUAL, Gate

USER = re.compile(r"[UW][A-Z0-9_]{1,20}")
SECTION_ROOM = 2_900  # one section's text (Slack: 3,000)
STATUS_ROOM = 2_700  # the gates section of `/release status`, under its title
TEXT_ROOM = 39_000  # a message's text (Slack: 40,000)
MAX_BLOCKS = 50
ICONS = {PASSING: ":large_green_circle:", FAILING: ":red_circle:", UNKNOWN: ":white_circle:"}
WORDS = {PASSING: "passing", FAILING: "failing", UNKNOWN: "not decided yet"}


def code(text: str, limit: int = 200) -> str:
    """User text shown as inline code: escaped, shortened, without backticks of its own."""
    return quoted(text, limit)


def every(seconds: int) -> str:
    """A check interval like `10m`."""
    return duration(timedelta(seconds=seconds))


def what(gate: Gate) -> str:
    """What the gate checks, on one line."""
    if gate.kind != HTTP or not gate.url:
        return "manual: its owners mark it passing or failing"
    parts = [f"GET {code(gate.url, 300)}"]
    if gate.expect:
        parts.append(f"expect {code(gate.expect)}")
    if gate.headers:
        parts.append("with headers")
    parts.append(f"every {every(gate.interval_seconds)}")
    return " · ".join(parts)


def state_line(gate: Gate, zone: ZoneInfo) -> str:
    """Icon, name, state and since-when."""
    line = f"{ICONS.get(gate.state, '')} `{gate.name}` {WORDS.get(gate.state, gate.state)}"
    if gate.state != UNKNOWN and gate.state_since:
        line += f" since {when(gate.state_since, zone)}"
    if gate.state == UNKNOWN and gate.kind == HTTP and not gate.last_checked_at:
        line += " (first check pending)"
    return line


def last_check(gate: Gate, zone: ZoneInfo) -> str | None:
    """When the gate was last checked and what was seen."""
    if not gate.last_checked_at:
        return None
    if gate.kind == MANUAL:
        by = f" by <@{gate.last_detail}>" if USER.fullmatch(gate.last_detail or "") else ""
        return f"Last set {when(gate.last_checked_at, zone)}{by}."
    seen = escape(shorten(gate.last_detail or "", 300))
    verdict = "passed" if gate.last_result == "pass" else "failed"
    streak = f" ({gate.fail_streak} in a row)" if gate.fail_streak > 1 else ""
    return f"Last check {when(gate.last_checked_at, zone)}: {verdict}{streak}. {seen}".strip()


def card(gate: Gate, zone: ZoneInfo) -> tuple[str, Blocks]:
    """The gate's message in the channel, updated in place; manual gates get buttons."""
    text = f"Gate {gate.name}: {WORDS.get(gate.state, gate.state)}"
    blocks: Blocks = [
        mrkdwn(f"*Gate* {state_line(gate, zone)}"),
        context(f"{what(gate)} · owners {mentions(gate.owner_ids())}"),
    ]
    seen = last_check(gate, zone)
    if seen:
        blocks.append(context(seen))
    if gate.kind == MANUAL:
        blocks.append(actions(set_buttons(gate), block_id=f"gate-{gate.id}"))
    return text, blocks


def set_buttons(gate: Gate) -> Blocks:
    """Mark passing / Mark failing, each offered unless the gate already is that."""
    assert gate.id is not None
    buttons = []
    if gate.state != PASSING:
        value = ids.encode_set(gate.id, gate.version, to_pass=True)
        buttons.append(button("Mark passing", ids.SET_PASS, value, style="primary"))
    if gate.state != FAILING:
        value = ids.encode_set(gate.id, gate.version, to_pass=False)
        buttons.append(button("Mark failing", ids.SET_FAIL, value, style="danger"))
    return buttons


def removed(name: str, actor: str) -> tuple[str, Blocks]:
    """A removed gate's card."""
    text = f"Gate {name} was removed."
    return text, [mrkdwn(f":wastebasket: Gate `{name}` was removed by <@{actor}>.")]


def removed_note(name: str) -> str:
    """The caller's confirmation of a removed gate."""
    return f"Gate `{name}` is removed."


def alert(gate: Gate, zone: ZoneInfo) -> tuple[str, Blocks]:
    """The one alert of a pass -> fail transition, mentioning the owners."""
    who = mentions(gate.owner_ids())
    text = f"Gate {gate.name} is failing. {who}, please take a look."
    streak = f" after {gate.fail_streak} failed checks in a row" if gate.fail_streak > 1 else ""
    blocks: Blocks = [
        mrkdwn(f":red_circle: *Gate `{gate.name}` is failing*{streak}. {who}, please take a look."),
    ]
    seen = last_check(gate, zone)
    if seen:
        blocks.append(context(seen))
    blocks.append(context(f"{what(gate)} · reminders follow in this thread while it stays red"))
    return text, blocks


def reping(
    gate: Gate, number: int, leads: list[str], now: datetime, zone: ZoneInfo
) -> tuple[str, Blocks]:
    """A reminder while the gate stays red; with leads when it is escalated."""
    red = duration(now - gate.state_since) if gate.state_since else "a while"
    who = mentions(gate.owner_ids())
    line = f":rotating_light: `{gate.name}` is still failing (red for {red}). {who}"
    if leads:
        line += (
            f"\n{mentions(leads)}: pulling you in, it stayed red through {number - 1} reminders."
        )
    seen = last_check(gate, zone)
    text = f"Gate {gate.name} is still failing (red for {red}). {who}"
    if leads:
        text += f" {mentions(leads)}"
    return text, [mrkdwn(line), *([context(seen)] if seen else [])]


def recovered(gate: Gate, red_for: timedelta | None) -> tuple[str, Blocks]:
    """The note when a failing gate passes again, with how long it was red."""
    span = f" after {duration(red_for)} red" if red_for is not None else ""
    text = f"Gate {gate.name} is passing again{span}."
    return text, [mrkdwn(f":large_green_circle: Gate `{gate.name}` is passing again{span}.")]


def added(gate: Gate, unset: tuple[str, ...] = ()) -> str:
    """The caller's confirmation of a new gate, warning of variables the bot has no value for."""
    first = " Its first check runs now." if gate.kind == HTTP else ""
    text = f"Gate `{gate.name}` added ({what(gate)}), owned by {mentions(gate.owner_ids())}.{first}"
    if unset:
        names = ", ".join(f"`${{{v}}}`" for v in unset)
        text += f"\n:warning: {names} is not set for the bot, so checks fail until it is."
    return text


def listing(gates: list[Gate], zone: ZoneInfo) -> tuple[str, Blocks | None]:
    """Every gate of the release, for `/gate list`: each gate whole, as many as Slack takes."""
    if not gates:
        return (
            "This release has no gates yet. "
            "Add one with `/gate add NAME URL` or `/gate manual NAME`.",
            None,
        )
    summary = f"*Gates* ({tally(gates)})"
    groups = pack([entry(gate, zone) for gate in gates], SECTION_ROOM)
    if len(groups) > MAX_BLOCKS - 1:  # cannot happen at 50 gates; said, never dropped silently
        kept = groups[: MAX_BLOCKS - 2]
        left = sum(len(group) for group in groups[len(kept) :])
        groups = [*kept, [f"_…and {left} more: `/gate list NAME` shows one gate_"]]
    blocks = [mrkdwn(summary), *(mrkdwn("\n\n".join(group)) for group in groups)]
    return f"Gates: {tally(gates)}", blocks


def tally(gates: list[Gate]) -> str:
    """How many gates there are and how many are failing or undecided."""
    counts = {state: sum(1 for g in gates if g.state == state) for state in WORDS}
    parts = [f"{len(gates)} gate{'s' if len(gates) != 1 else ''}"]
    parts += [f"{counts[s]} {WORDS[s]}" for s in (FAILING, UNKNOWN) if counts[s]]
    return ", ".join(parts)


def entry(gate: Gate, zone: ZoneInfo) -> str:
    """One gate of `/gate list`: state and owners, what it checks, what was last seen."""
    lines = [f"{state_line(gate, zone)} · owners {mentions(gate.owner_ids())}", what(gate)]
    seen = last_check(gate, zone)
    if seen:
        lines.append(seen)
    return cut("\n".join(lines), SECTION_ROOM)


def pack(entries: list[str], room: int) -> list[list[str]]:
    """Whole entries grouped in order, each group at most `room` characters once joined."""
    groups: list[list[str]] = []
    used = room + 1
    for text in entries:
        if used + 2 + len(text) > room:
            groups.append([])
            used = -2
        groups[-1].append(text)
        used += 2 + len(text)
    return groups


def status_lines(gates: list[Gate], zone: ZoneInfo, room: int = STATUS_ROOM) -> list[str]:
    """`/release status`: a line per gate, failing first, whole lines that fit, the rest counted."""
    order = {FAILING: 0, UNKNOWN: 1, PASSING: 2}
    ranked = sorted(gates, key=lambda g: (order.get(g.state, 3), g.name))
    lines = []
    for gate in ranked:
        line = state_line(gate, zone)
        if gate.state == FAILING:
            line += f" · {mentions(gate.owner_ids())}"
        lines.append(line)

    def more(left: int) -> str:
        red = sum(1 for g in ranked[len(ranked) - left :] if g.state == FAILING)
        among = f", {red} of them failing" if red else ""
        return f"_…and {left} more gates{among}: `/gate list` shows every gate_"

    return fit_lines(lines, room, more).split("\n")


def checking(started: list[str], joined: list[str]) -> str:
    """The asker's note of what `/gate check` set going, and what was being checked already."""
    if not joined:
        return f"Checking {_gates(started)} now; the results follow."
    if not started:
        who = f"`{joined[0]}` is" if len(joined) == 1 else f"All {len(joined)} gates are"
        return (
            f"{who} being checked already: I join that check instead of asking again, "
            "and tell you what it finds."
        )
    return (
        f"Checking {_gates(started)} now; {len(joined)} more {_were(joined)} being checked "
        "already, and I join those checks instead of repeating them. The results follow."
    )


def _gates(names: list[str]) -> str:
    return f"`{names[0]}`" if len(names) == 1 else f"{len(names)} gates"


def _were(names: list[str]) -> str:
    return "was" if len(names) == 1 else "were"


def set_by_owners(gate: Gate) -> str:
    """Why `/gate check NAME` does not check a manual gate."""
    return f"`{gate.name}` is a manual gate, set by its owners; it is {gate.state}."


def results(rows: list[tuple[str, bool | None, str]]) -> str:
    """The outcome of `/gate check` for the caller: name, passed (None: not checked), detail."""
    if not rows:
        return "There are no HTTP gates to check in this release."
    lines = []
    for name, passed, detail in rows:
        icon = ":white_circle:" if passed is None else (":white_check_mark:" if passed else ":x:")
        lines.append(f"{icon} `{name}`: {escape(shorten(detail, 300))}")
    return fit_lines(lines, TEXT_ROOM, lambda n: f"_…and {n} more: `/gate list` shows them_")
