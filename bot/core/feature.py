"""What a feature's front door builds: one object per feature, started and stopped with Services.

Each `bot/<feature>/__init__.py` has `register(services) -> Feature`: it adds the feature's
timers, status section, doctor checks, outbox kinds and answers to Services, makes the
feature's long-lived parts (a writer thread, a pool of check workers) once, and returns the
feature holding them. The composition root (`bot/app.py`) calls every front door once and
hands the features to Services, whose start() and stop() start and stop them; a handler
reaches a long-lived part through `services.part(Kind)`, never by making its own.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

P = TypeVar("P")


@runtime_checkable
class Stoppable(Protocol):
    """A long-lived part with threads of its own (started on demand), ended by stop()."""

    def stop(self) -> None:
        """End the part's threads, letting what is in flight finish."""


class Feature:
    """One running feature: its name and its long-lived parts, stopped with Services.

    A feature whose parts must be started at start-up (not on demand) subclasses it.
    """

    def __init__(self, name: str, *parts: object) -> None:
        self.name = name
        self.parts = parts

    def start(self) -> None:
        """Start what the feature runs in the background (its parts start on demand)."""

    def stop(self) -> None:
        """Stop the parts that have threads, last made first."""
        for part in reversed(self.parts):
            if isinstance(part, Stoppable):
                part.stop()

    def part(self, kind: type[P]) -> P | None:
        """The feature's part of this kind, if it has one."""
        return next((part for part in self.parts if isinstance(part, kind)), None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
