"""Fixtures of the gate tests: a CI service, GitHub and TestGrid on loopback, answering as told."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kit.gate_server import GateServer
from tests.kit.github_server import GitHubServer
from tests.kit.testgrid_server import TestGridServer


@pytest.fixture
def server() -> Iterator[GateServer]:
    """A GateServer on 127.0.0.1, answering 200 `{}` until told otherwise."""
    with GateServer() as srv:
        yield srv


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    """A GitHub issue search on 127.0.0.1, with no open items until told otherwise."""
    with GitHubServer() as srv:
        yield srv


@pytest.fixture
def tg() -> Iterator[TestGridServer]:
    """TestGrid dashboard summaries on 127.0.0.1 (no dashboards until told)."""
    with TestGridServer() as srv:
        yield srv
