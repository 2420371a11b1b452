"""`make bench`: every figure of PRODUCT.md section 8, on SQLite and Postgres, beside the floor.

Each benchmark drives the real `releasebot run` over HTTP with a local Slack stand-in; the
floor is a bare Bolt app answering the same requests in the same run. Postgres figures
need a server at 127.0.0.1:5432 (a fresh database is made and dropped); without one,
they are left out and the table says so.

    python -m benchmarks.run
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass

from benchmarks import api_load, checklist_clicks, meetings_scale, sqlite_writers, vote_burst
from benchmarks.common import fresh_postgres, postgres_answers, sqlite_url

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Line:
    """One figure: what, its target, and what each backend and the floor measured."""

    figure: str
    target: str
    sqlite: str
    postgres: str
    floor: str = "-"
    ok: bool = True


def machine() -> str:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for the table, or '-' when not measured."""
    return "-" if value is None else f"{value:.{digits}f}"


def votes(pg: str | None) -> list[Line]:
    """200 go/no-go clicks within one second."""
    count, spread = 200, 1.0
    rows = {"sqlite": vote_burst.run_releasebot("SQLite", sqlite_url(), count, spread)}
    if pg:
        with fresh_postgres(pg) as url:
            rows["postgres"] = vote_burst.run_releasebot("Postgres", url, count, spread)
    floor = vote_burst.run_bare(count, spread)

    def cell(key: str, pick) -> str:  # type: ignore[no-untyped-def]
        return str(pick(rows[key])) if key in rows else "-"

    acked = lambda r: len(r.burst.latencies) - r.burst.errors  # noqa: E731
    p99 = lambda r: fmt(r.burst.percentile(99))  # noqa: E731
    return [
        Line(
            "votes acknowledged (of 200)",
            "200",
            cell("sqlite", acked),
            cell("postgres", acked),
            str(acked(floor)),
            all(acked(r) == count for r in rows.values()),
        ),
        Line(
            "vote ack p99 (ms)",
            "< 300",
            cell("sqlite", p99),
            cell("postgres", p99),
            p99(floor),
            all(r.burst.percentile(99) < 300 for r in rows.values()),
        ),
        Line(
            "votes stored",
            "200",
            cell("sqlite", lambda r: r.stored),
            cell("postgres", lambda r: r.stored),
            "-",
            all(r.stored == count for r in rows.values()),
        ),
        Line(
            "poll message shows 200 Go",
            "yes",
            cell("sqlite", lambda r: r.final),
            cell("postgres", lambda r: r.final),
            "-",
            all(r.final for r in rows.values()),
        ),
        Line(
            "chat.update during burst (max/s)",
            "<= 1 / s",
            cell("sqlite", lambda r: f"{r.updates} ({r.per_second}/s)"),
            cell("postgres", lambda r: f"{r.updates} ({r.per_second}/s)"),
            "-",
            all((r.per_second or 0) <= 1 for r in rows.values()),
        ),
    ]


def clicks(pg: str | None) -> list[Line]:
    """Checklist click acknowledgement against the floor."""
    rows, floor = checklist_clicks.measure(30, pg)
    direct = checklist_clicks.run_bare(30, direct=True)
    by = {r.name.split()[-1].lower(): r for r in rows}
    ratio = lambda key: fmt(by[key].p(50) / floor.p(50), 2) + "x" if key in by else "-"  # noqa: E731
    p50 = lambda key: fmt(by[key].p(50)) if key in by else "-"  # noqa: E731
    ok = all(r.p(50) / floor.p(50) <= 1.5 and not r.errors for r in rows)
    return [
        Line("checklist click ack p50 (ms)", "-", p50("sqlite"), p50("postgres"), fmt(floor.p(50))),
        Line(
            "  ratio to the bare-Bolt floor",
            "<= 1.5x",
            ratio("sqlite"),
            ratio("postgres"),
            "1.00x",
            ok,
        ),
        Line("  bare Bolt without its 10 ms ack poll (ms)", "-", "-", "-", fmt(direct.p(50))),
    ]


def api(pg: str | None) -> list[Line]:
    """20 API clients reading the status and reporting gates, beside the floors."""
    rows = {r.name: r for r in api_load.measure(20, 100, pg, 5.0)}
    bots = {"sqlite": rows.get("releasebot SQLite"), "postgres": rows.get("releasebot Postgres")}
    floor = rows["floor: bare FastAPI"]
    p95 = lambda r: fmt(api_load.Row.p(r.all, 95)) if r else "-"  # noqa: E731
    ok = all(
        api_load.Row.p(r.all, 95) < api_load.TARGET_P95_MS and not r.errors
        for r in bots.values()
        if r
    )
    bare = fmt(api_load.Row.p(rows["floor: bare WSGI"].all, 95))
    return [
        Line(
            "API, 20 clients: p95 ms (floor: FastAPI)",
            "< 50",
            p95(bots["sqlite"]),
            p95(bots["postgres"]),
            p95(floor),
            ok,
        ),
        Line("  floor: bare WSGI under waitress, p95 ms", "-", "-", "-", bare),
    ]


def meetings(pg: str | None) -> list[Line]:
    """10,000 series in 500 channels."""
    figures = {"sqlite": meetings_scale.run(sqlite_url(), 10_000, 500)}
    if pg:
        with fresh_postgres(pg) as url:
            figures["postgres"] = meetings_scale.run(url, 10_000, 500)

    def line(name: str, key: str, target: float, digits: int = 1) -> Line:
        got = {k: v.get(key) for k, v in figures.items()}
        ok = all(v is not None and v < target for v in got.values())
        return Line(
            name,
            f"< {target:g}",
            fmt(got.get("sqlite"), digits),
            fmt(got.get("postgres"), digits),
            "-",
            ok,
        )

    return [
        line("10k series: planning at start (ms)", "first_plan_ms", 2000, 0),
        line("10k series: reminder lag (s)", "reminder_lag_s", 2.0, 2),
        line("10k series: resident memory (MB)", "rss_after_plan_mb", 200, 0),
    ]


def writers() -> list[Line]:
    """50 concurrent SQLite writers."""
    got = sqlite_writers.run(50, 20)
    return [
        Line(
            "SQLite 50 writers: 'database is locked'",
            "0",
            str(got["locked_errors"]),
            "n/a",
            "-",
            got["locked_errors"] == 0 and got["http_errors"] == 0,
        ),
        Line(
            "  writes stored / sent",
            "all",
            f"{got['stored']}/{got['requests']}",
            "n/a",
            "-",
            got["stored"] == got["requests"],
        ),
        Line("  write ack p50 / p99 (ms)", "-", f"{got['p50_ms']} / {got['p99_ms']}", "n/a"),
    ]


def render(lines: list[Line], pg: str | None) -> str:
    """The table."""
    head = f"{'figure':<42}{'target':>10}{'SQLite':>16}{'Postgres':>16}{'bare Bolt':>11}  ok"
    out = [f"releasebot benchmarks on {machine()}", "", head, "-" * len(head)]
    for line in lines:
        mark = "" if line.target == "-" else ("yes" if line.ok else "NO")
        out.append(
            f"{line.figure:<42}{line.target:>10}{line.sqlite:>16}{line.postgres:>16}"
            f"{line.floor:>11}  {mark}"
        )
    if not pg:
        out.append("(no PostgreSQL at 127.0.0.1:5432: Postgres figures not measured)")
    return "\n".join(out)


def main() -> int:
    """Run everything and print the table; non-zero when a target is missed."""
    pg = PG_SERVER if postgres_answers() else None
    lines: list[Line] = []
    for part in (votes, clicks, api, meetings):
        print(f"running {part.__name__}…", file=sys.stderr, flush=True)
        lines += part(pg)
    print("running writers…", file=sys.stderr, flush=True)
    lines += writers()
    print(render(lines, pg))
    return 0 if all(line.ok for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
