"""Reading a schedule file from its URL through the gates' guarded fetch.

The same rules as a gate's check: the address guard (no private, loopback or metadata
address unless RELEASEBOT_GATE_ALLOW lists it), the gate proxy, and `${VARIABLE}` only when
RELEASEBOT_GATE_SECRETS grants it for the URL's host. A file is read within the gate time
limit and up to MAX_BYTES; every failure comes back as a sentence people can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.config import Settings
from bot.core.fetch import request
from bot.core.fetch.secrets import (
    GateSecrets,
    MissingVariable,
    NotGranted,
    host_has_variable,
    named_in,
    resolve_url,
)

MAX_BYTES = 512 * 1024
MAX_URL = 1000
_GITHUB_BLOB = re.compile(r"^https://github\.com/([^/]+)/([^/]+)/blob/(.+)$")


class Unreadable(Exception):
    """The file could not be read; the message says why (not found, too large, too slow...)."""


@dataclass(frozen=True)
class Fetched:
    """A file's text and the URL it was read from."""

    url: str
    text: str


def normalize(url: str) -> str:
    """The URL to read: a GitHub page of a file becomes the file itself (raw)."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise Unreadable(f"That URL is longer than {MAX_URL} characters.")
    blob = _GITHUB_BLOB.match(url)
    if blob:
        owner, repo, rest = blob.groups()
        return f"https://raw.githubusercontent.com/{owner}/{repo}/{rest}"
    return url


def read(url: str, settings: Settings) -> Fetched:
    """GET the file; Unreadable with the reason when it cannot be had."""
    secrets = GateSecrets.from_settings(settings)
    try:
        if host_has_variable(url):
            raise NotGranted("variables may go in the URL's path or query, not its host")
        secrets.check(url, named_in(url, []))
        target = resolve_url(url, secrets.values)
    except NotGranted as err:
        raise Unreadable(f"not read, nothing sent: {err}") from None
    except MissingVariable as err:
        raise Unreadable(f"the environment variable {err.args[0]} is not set") from None
    timeout = settings.gate_timeout
    try:
        response = request.fetch(
            target,
            {"Accept": "text/plain, text/markdown, application/yaml, */*"},
            allow=settings.gate_allow,
            timeout=timeout,
            proxy=settings.gate_proxy or None,
        )
    except Exception as err:
        reason = request.failure(err, url, timeout=timeout, proxy=settings.gate_proxy or None)
        raise Unreadable(secrets.masked(reason)) from None
    if response.status == 404:
        raise Unreadable(f"not found there (HTTP 404): check the URL `{_shown(url)}`.")
    if response.status != 200:
        raise Unreadable(f"the server answered HTTP {response.status}, not the file.")
    if len(response.body.encode("utf-8")) > MAX_BYTES:
        raise Unreadable(
            f"the file is larger than {MAX_BYTES // 1024} KB, the most a schedule may be."
        )
    return Fetched(url, response.body)


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"[:200]
