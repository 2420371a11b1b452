"""Fixtures of the gate tests: a CI service on loopback that answers as it is told."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kit.gate_server import GateServer


@pytest.fixture
def server() -> Iterator[GateServer]:
    """A GateServer on 127.0.0.1, answering 200 `{}` until told otherwise."""
    with GateServer() as srv:
        yield srv
