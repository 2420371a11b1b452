"""The address guard decides on faked name resolution; nothing here connects anywhere."""

from __future__ import annotations

import pytest

from bot.core.fetch import guard


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    monkeypatch.setattr(guard, "resolve", resolve)
    return table


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.1", "private"),
        ("192.168.1.20", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.7", "shared"),
        ("224.0.0.251", "multicast"),
        ("fe80::1", "link-local"),
        ("fd00::5", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 wrapping 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # teredo client 10.0.0.1
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 wrapping 127.0.0.1
        ("240.0.0.1", "reserved"),
        ("198.18.0.1", "private"),  # benchmarking range
    ],
)
def test_special_addresses_are_refused_with_their_kind(
    dns: dict[str, list[str]], address: str, kind: str
) -> None:
    dns["ci.example.com"] = [address]
    with pytest.raises(guard.Refused) as refused:
        guard.check("https://ci.example.com/status", allow=())
    assert kind in str(refused.value)
    assert "RELEASEBOT_GATE_ALLOW" in str(refused.value)


def test_a_public_address_passes_and_is_the_one_to_connect_to(dns: dict[str, list[str]]) -> None:
    dns["ci.example.com"] = ["93.184.216.34", "2606:2800:220:1::1"]
    target = guard.check("https://ci.example.com:8443/x?y=1", allow=())
    assert (target.host, target.port, target.address) == ("ci.example.com", 8443, "93.184.216.34")


def test_one_special_address_among_public_ones_refuses_the_host(dns: dict[str, list[str]]) -> None:
    dns["split.example.com"] = ["93.184.216.34", "169.254.169.254"]
    with pytest.raises(guard.Refused, match=r"169\.254\.169\.254"):
        guard.check("http://split.example.com/", allow=())


def test_ip_literals_are_resolved_and_refused_too(dns: dict[str, list[str]]) -> None:
    dns["169.254.169.254"] = ["169.254.169.254"]
    dns["::1"] = ["::1"]
    with pytest.raises(guard.Refused, match="link-local"):
        guard.check("http://169.254.169.254/latest/meta-data/", allow=())
    with pytest.raises(guard.Refused, match="loopback"):
        guard.check("http://[::1]:8080/", allow=())


def test_allow_list_admits_a_host_or_a_network(dns: dict[str, list[str]]) -> None:
    dns["jenkins.internal"] = ["10.20.30.40"]
    dns["127.0.0.1"] = ["127.0.0.1"]
    with pytest.raises(guard.Refused):
        guard.check("http://127.0.0.1:9000/", allow=("10.0.0.0/8",))
    assert guard.check("http://jenkins.internal/job", allow=("jenkins.internal",)).address
    assert guard.check("http://jenkins.internal/job", allow=("10.0.0.0/8",)).address
    assert guard.check("http://127.0.0.1:9000/", allow=("127.0.0.1",)).address
    with pytest.raises(guard.Refused):
        guard.check("http://jenkins.internal/job", allow=("10.20.30.41", "other.internal"))


def test_only_http_urls_without_credentials(dns: dict[str, list[str]]) -> None:
    dns["ci.example.com"] = ["93.184.216.34"]
    for url in ("file:///etc/passwd", "gopher://ci.example.com/", "ftp://ci.example.com/"):
        with pytest.raises(guard.Refused, match="http"):
            guard.check(url, allow=())
    with pytest.raises(guard.Refused, match="header"):
        guard.check("https://user:pw@ci.example.com/", allow=())
    with pytest.raises(guard.Refused, match="no host"):
        guard.check("https:///path", allow=())


def test_an_unknown_host_is_refused_with_the_reason(dns: dict[str, list[str]]) -> None:
    with pytest.raises(guard.Refused, match="cannot be resolved"):
        guard.check("https://nowhere.invalid/", allow=())
