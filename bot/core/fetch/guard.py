"""The address guard: a gate URL may only reach public addresses, unless an admin allowed it.

Gate URLs are user input, so fetching them could reach the bot's own network (server-side
request forgery). The guard resolves the host, refuses special addresses (loopback,
private, link-local/cloud metadata, multicast, reserved, shared, and IPv6 forms wrapping
them) and returns the address the check must connect to, so DNS cannot change in between.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = {"http": 80, "https": 443}
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*")


class Refused(ValueError):
    """The URL may not be fetched; the message says why and how to allow it."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call the host."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (tests replace this to fake DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check(url: str, allow: Sequence[str]) -> Target:
    """Resolve the URL's host and refuse it unless every address is public or allowed."""
    scheme, host, port = _parts(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as err:
        raise Refused(f"The host `{host}` cannot be resolved ({_reason(err)}).") from None
    if not addresses:
        raise Refused(f"The host `{host}` has no addresses.")
    host_allowed = _host_allowed(host, allow)
    for raw in addresses:
        address = _address(raw)
        why = special(address)
        if why and not host_allowed and not _address_allowed(address, allow):
            raise Refused(
                f"`{host}` resolves to {address}, a {why} address; gates may only reach public "
                "addresses unless the host or network is listed in RELEASEBOT_GATE_ALLOW."
            )
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def special(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for an ordinary public one."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None:
            kind = special(inner)
            return f"{kind} (inside an IPv6 address)" if kind else None
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local (cloud metadata)"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared (CGNAT)"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public"),
    ]
    return next((name for hit, name in checks if hit), None)


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        server, client = address.teredo
        return client if special(client) else server
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parts(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise Refused(f"That is not a valid URL ({err}).") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("A gate URL must start with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise Refused(
            "Put credentials in a header that names an environment variable "
            '(`header "Authorization: Bearer ${TOKEN}"`), not in the URL.'
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Refused("The URL has no host name.")
    return scheme, host, port or SCHEMES[scheme]


def _address(raw: str) -> IPAddress:
    return ipaddress.ip_address(raw.split("%", 1)[0])


def _host_allowed(host: str, allow: Sequence[str]) -> bool:
    return any(entry.strip().rstrip(".").lower() == host for entry in allow)


def _address_allowed(address: IPAddress, allow: Sequence[str]) -> bool:
    for entry in allow:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            continue  # a host name, handled by _host_allowed
        if address.version == network.version and address in network:
            return True
    return False


def valid_allow_entry(entry: str) -> bool:
    """True for a host name, an IP address or a network (CIDR) in RELEASEBOT_GATE_ALLOW."""
    entry = entry.strip()
    try:
        ipaddress.ip_network(entry, strict=False)
        return True
    except ValueError:
        return bool(_HOST.fullmatch(entry.rstrip(".")))


def _reason(err: Exception) -> str:
    if isinstance(err, socket.gaierror):
        return err.strerror or "no such host"
    return str(err) or type(err).__name__
