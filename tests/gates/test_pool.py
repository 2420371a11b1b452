"""The gate checks' own workers: bounded, one check per gate, gone when idle."""

from __future__ import annotations

import threading
import time

import pytest

from bot.gates.pool import CheckPool


def test_a_check_asked_again_while_it_runs_is_joined_not_repeated() -> None:
    pool: CheckPool[str] = CheckPool(workers=2, idle_seconds=0.2)
    release = threading.Event()
    calls: list[int] = []

    def check() -> str:
        calls.append(1)
        release.wait(5)
        return "seen"

    first, joined_first = pool.submit(7, check)
    again, joined_again = pool.submit(7, check)
    assert (joined_first, joined_again) == (False, True) and again is first
    assert pool.busy(7) and pool.in_flight() == 1
    release.set()
    assert first.result(5) == "seen" and again.result(5) == "seen"
    assert calls == [1]
    assert not pool.busy(7)
    later, joined_later = pool.submit(7, lambda: "fresh")  # after it ends, a new check runs
    assert not joined_later and later.result(5) == "fresh"


def test_at_most_the_pool_size_runs_at_once_and_the_rest_wait_their_turn() -> None:
    pool: CheckPool[int] = CheckPool(workers=3, idle_seconds=0.2)
    lock = threading.Lock()
    running, most = [0], [0]

    def check(n: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return n

    futures = [pool.submit(n, lambda n=n: check(n))[0] for n in range(20)]  # type: ignore[misc]
    assert [f.result(5) for f in futures] == list(range(20))
    assert most[0] == 3


def test_a_failing_check_reaches_its_waiters_and_idle_workers_go_away() -> None:
    pool: CheckPool[int] = CheckPool(workers=2, idle_seconds=0.1)

    def broken() -> int:
        raise ValueError("boom")

    future, _ = pool.submit(1, broken)
    with pytest.raises(ValueError, match="boom"):
        future.result(5)
    assert not pool.busy(1)
    deadline = time.monotonic() + 3
    while pool.threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.threads() == 0
    assert pool.submit(1, lambda: 5)[0].result(5) == 5  # and come back on demand
