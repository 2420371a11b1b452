"""Which secrets a gate may send, and to which hosts: the operator's grants, nothing else.

A gate's header or URL may name `${VARIABLE}`, but only a variable listed in
RELEASEBOT_GATE_SECRETS, and its value goes only to the hosts it is bound to there. The
bot's own credentials can never be granted (config refuses them), so no text a user types
can make the bot send its Slack token, signing secret or database URL anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.core.config import Settings

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class NotGranted(ValueError):
    """A variable the gate may not use here; the message says which and where it may go."""


class MissingVariable(Exception):
    """A header names an environment variable that is not set."""


def host_matches(host: str, pattern: str) -> bool:
    """True when `host` is `pattern`, or a name under it for `*.example.com`."""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def url_host(url: str) -> str:
    """The host name of a URL (lower case), or '' when it has none."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


@dataclass(frozen=True)
class GateSecrets:
    """The granted variables, the hosts each may reach, and their values (never shown)."""

    grants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> GateSecrets:
        """The grants and values as configured (RELEASEBOT_GATE_SECRETS and the environment)."""
        return cls(dict(settings.gate_grants), dict(settings.gate_secret_values))

    def may_send(self, name: str, host: str) -> bool:
        """True when the variable is granted for this host."""
        return any(host_matches(host, pattern) for pattern in self.grants.get(name, ()))

    def check(self, url: str, names: Sequence[str]) -> None:
        """Raise NotGranted unless every variable named is granted for the URL's host."""
        host = url_host(url)
        for name in dict.fromkeys(names):
            hosts = self.grants.get(name)
            if hosts is None:
                raise NotGranted(
                    f"`${{{name}}}` is not granted to gates: an operator lists the variables "
                    "gates may use, with the hosts each may go to, in RELEASEBOT_GATE_SECRETS "
                    f"(like `{name}@{host or 'ci.example.com'}`)."
                )
            if not self.may_send(name, host):
                raise NotGranted(
                    f"`${{{name}}}` may only be sent to {', '.join(f'`{h}`' for h in hosts)}, "
                    f"not to `{host}`."
                )

    def value(self, name: str) -> str | None:
        """The variable's value, or None when it is granted but not set."""
        return self.values.get(name) or None

    def unset(self, names: Sequence[str]) -> list[str]:
        """The variables named that have no value for the bot (checks using them fail)."""
        return [name for name in names if self.value(name) is None]

    def masked(self, text: str) -> str:
        """The text with every granted value replaced by [secret]."""
        for value in self.values.values():
            if len(value) >= 4:
                text = text.replace(value, "[secret]")
        return text


def named_in(url: str, headers: Sequence[tuple[str, str]]) -> list[str]:
    """The variables a URL and its headers name, in order, once each."""
    found = VARIABLE.findall(url) + [m for _, value in headers for m in VARIABLE.findall(value)]
    return list(dict.fromkeys(found))


def resolve_headers(
    headers: Sequence[tuple[str, str]], environ: Mapping[str, str]
) -> dict[str, str]:
    """Replace each ${VARIABLE} by its value; MissingVariable names the first one unset."""

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingVariable(name)
        return environ[name]

    return {name: VARIABLE.sub(value_of, value) for name, value in headers}


def resolve_url(url: str, environ: Mapping[str, str]) -> str:
    """The URL with each ${VARIABLE} (allowed in its path and query) replaced by its value."""
    return resolve_headers([("url", url)], environ)["url"]


def host_has_variable(url: str) -> bool:
    """True when a ${VARIABLE} sits before the path, where the guard could not see the host."""
    rest = url.split("://", 1)[-1]
    return bool(VARIABLE.search(re.split(r"[/?#]", rest, maxsplit=1)[0]))
