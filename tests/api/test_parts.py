"""The API's small parts: the per-token rate limit, the status cache, plain-text refusals."""

from __future__ import annotations

from bot.api.limits import RateLimiter
from bot.api.schemas import ReleaseStatus
from handlers.api.problems import plain
from handlers.api.release import StatusCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_token_bucket_refills_at_its_pace_and_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=3, clock=clock)
    assert [limiter.take(1) for _ in range(3)] == [None, None, None]
    assert limiter.take(1) == 1  # one a second: wait a second
    assert limiter.take(2) is None  # another token has its own bucket
    clock.now += 1.0
    assert limiter.take(1) is None and limiter.take(1) == 1
    clock.now += 60
    assert [limiter.take(1) for _ in range(4)] == [None, None, None, 1]  # never past the burst


def _status(name: str) -> ReleaseStatus:
    return ReleaseStatus(
        id=1,
        name=name,
        state="active",
        phase="p",
        zone="UTC",
        release_day=None,
        roles=[],
        milestones=[],
        checklist=None,
        gates=[],
        poll=None,
    )


def test_the_status_cache_forgets_on_a_change_and_after_its_ttl() -> None:
    clock = Clock()
    cache = StatusCache(ttl=1.0, clock=clock)
    builds: list[str] = []

    def build(name: str):  # type: ignore[no-untyped-def]
        return lambda: (builds.append(name), _status(name))[1]

    assert cache.get(1, build("a")).name == "a"
    assert cache.get(1, build("b")).name == "a" and builds == ["a"]
    cache.forget({1})
    assert cache.get(1, build("c")).name == "c"
    clock.now += 1.5
    assert cache.get(1, build("d")).name == "d"

    def racing() -> ReleaseStatus:  # a change commits while the status is being built
        cache.forget({1})
        return _status("raced")

    clock.now += 1.5
    assert cache.get(1, racing).name == "raced"
    assert cache.get(1, build("e")).name == "e"  # the raced one was not kept


def test_refusals_read_as_plain_text() -> None:
    said = plain("*Cut &amp; tag* was done by <@U1>; ask <!subteam^S2|@leads>.", lambda u: "Ana")
    assert said == "Cut & tag was done by @Ana; ask @leads."
