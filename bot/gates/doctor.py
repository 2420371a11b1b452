"""`releasebot doctor` for gates: the allow-list reads well, gate secrets are granted and set."""

from __future__ import annotations

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.fetch import guard, secrets
from bot.core.fetch.secrets import GateSecrets
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.gates.probe import check


def check_gates(settings: Settings, db: Database) -> list[Finding]:
    """The allow-list reads well and gate headers find their variables."""
    with db.read() as s:
        stored = gates.in_active_releases(s)
    granted = GateSecrets.from_settings(settings)
    findings = allow_list(settings.gate_allow) + grants(settings, granted)
    for gate in stored:
        findings += stored_gate(gate, granted)
    return findings


def allow_list(allow: tuple[str, ...]) -> list[Finding]:
    """An unusable RELEASEBOT_GATE_ALLOW entry each, or what gates may also reach."""
    findings = []
    for entry in allow:
        if not guard.valid_allow_entry(entry):
            fix = "use host names (ci.internal) or networks (10.0.0.0/8), comma-separated"
            findings.append(
                Finding(False, f"RELEASEBOT_GATE_ALLOW entry {entry!r} is unusable", fix)
            )
    if allow and not findings:
        findings.append(Finding(True, f"gates may also reach {', '.join(allow)}"))
    return findings


def grants(settings: Settings, granted: GateSecrets) -> list[Finding]:
    """Each granted secret: where it may go, or that the bot has no value for it."""
    findings = []
    for name, hosts in settings.gate_grants.items():
        if granted.value(name) is None:
            fix = f"set {name} in the bot's environment (.env), or gates using it fail"
            findings.append(Finding(False, f"gate secret {name} is granted but not set", fix))
        else:
            findings.append(Finding(True, f"gate secret {name} may be sent to {', '.join(hosts)}"))
    return findings


def stored_gate(gate: Gate, granted: GateSecrets) -> list[Finding]:
    """What keeps a stored gate's checks failing: a variable not granted, or not set."""
    url, headers = gate.url or "", check.load_headers(gate.headers)
    named = secrets.named_in(url, headers)
    try:
        granted.check(url, named)
    except secrets.NotGranted as err:
        fix = "grant it in RELEASEBOT_GATE_SECRETS, or remove the gate; its checks fail"
        return [Finding(False, f"gate {gate.name}: {err}", fix)]
    return [
        Finding(
            False,
            f"gate {gate.name} needs ${{{variable}}}",
            f"set {variable} in the bot's environment (.env), or the gate fails",
        )
        for variable in granted.unset(named)
    ]
