"""What features ask one another, declared here so that neither imports the other.

An `Ask[T]` names one question; `T` is the protocol its answers follow. The feature that
asks imports only the Ask; each feature that can answer calls `services.provide(ASK, answer)`
in its register(), and the asker reads `services.answers_to(ASK)`. One module here per
asking feature holds its Asks and their protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Ask(Generic[T]):
    """One question features answer; compared by identity, named for logs and errors."""

    name: str

    def __repr__(self) -> str:
        return f"Ask({self.name!r})"
