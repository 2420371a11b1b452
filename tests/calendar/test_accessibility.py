"""The release page at WCAG 2.2 AA, as the axe engine finds it in headless Chromium.

axe-core (npm) runs in Debian's chromium, driven by playwright-core, in the light and the
dark colour scheme, on a release with every section filled. Skipped, saying so, without
node, its packages or chromium; CI (REQUIRE_BROWSER=1) fails instead.
"""

from __future__ import annotations

import re
from typing import Any

from bot.calendar.page import TEMPLATES
from bot.core.db import Database
from handlers.calendar import serve
from tests.calendar import builders as b
from tests.calendar import clients

# The dark scheme's muted grey before it was made readable: 3.3:1 on the dark background.
UNREADABLE = (b"--muted: #9da5ae;", b"--muted: #667;")


def _full(db: Database) -> b.Built:
    """20 series, 30 milestones, 30 gates (three with a burndown), a running checklist, a poll."""
    built = b.full_release(db, series_count=20, gate_count=30)
    b.milestones(db, built.release, 30)
    return built


def _brief(result: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]


def test_no_wcag_a_or_aa_violation_in_either_scheme(db: Database) -> None:
    built = _full(db)
    html = serve(b.services_for(db), "GET", f"/r/{built.token}")
    assert html is not None
    body = html[2].decode()
    # Every section is on the page the engine checks.
    assert body.count('class="gate ') == 30 and body.count('<img class="chart"') == 3
    assert body.count('class="step ') == 30 and 'id="poll"' in body
    assert body.count("Milestone ") >= 5 and body.count("join the meeting") == 5

    with clients.serving(b.services_for(db)) as base:
        light, dark = clients.axe(f"{base}/r/{built.token}", "light", "dark")

    assert (light["scheme"], dark["scheme"]) == ("light", "dark")
    assert light["background"] != dark["background"]  # the dark palette is in use
    assert light["errors"] == dark["errors"] == []
    assert _brief(light) == []
    assert _brief(dark) == []
    # Every text's contrast was decided, but for the state icons' glyphs (checked below).
    undecided = [
        node
        for r in light["incomplete"] + dark["incomplete"]
        if r["id"] == "color-contrast"
        for node in r["nodes"]
    ]
    assert all(".icon" in node[0] for node in undecided), undecided
    # The rules that matter here ran and passed, in both schemes.
    for result in (light, dark):
        assert {"color-contrast", "landmark-one-main", "image-alt", "html-has-lang"} <= set(
            result["passes"]
        ), result["passes"]


def test_the_check_finds_unreadable_text(db: Database) -> None:
    """The check can fail: the old dark grey, put back, is a contrast violation in dark only."""
    built = _full(db)

    def unreadable(body: bytes) -> bytes:
        assert UNREADABLE[0] in body
        return body.replace(*UNREADABLE)

    with clients.serving(b.services_for(db), unreadable) as base:
        light, dark = clients.axe(f"{base}/r/{built.token}", "light", "dark")

    assert _brief(light) == []
    assert [v["id"] for v in dark["violations"]] == ["color-contrast"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_of_text_and_icons_reads_at_4_5_to_1_in_both_schemes() -> None:
    """The palette itself: text, muted text, links and state icons on the page and on the
    current step's background, in each scheme (axe leaves the icon glyphs undecided)."""
    css = (TEMPLATES / "release.html").read_text()
    light_css, dark_css = css.split("@media (prefers-color-scheme: dark)", 1)
    for scheme in (light_css, dark_css):
        root = re.search(r":root \{([^}]*)\}", scheme)
        assert root is not None
        colours = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", root.group(1)))
        assert len(colours) >= 8
        for text in ("fg", "muted", "ok", "bad", "run"):
            for ground in ("bg", "now"):
                ratio = _contrast(colours[text], colours[ground])
                assert ratio >= 4.5, (text, ground, colours[text], colours[ground], ratio)
    # The grey the dark scheme had, as measured then: about 3.3:1.
    assert 3.2 < _contrast("#666677", "#121212") < 3.4
