"""The manual gate's buttons: their action ids and the value each carries, written and read here.

A "Mark passing" / "Mark failing" button carries the gate and the `version` it was drawn
at, so a click on a stale card changes nothing; anything else is refused as not ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import payloads

SET_PASS = "gate:set:pass"  # noqa: S105  (an action id)
SET_FAIL = "gate:set:fail"
_TARGETS = {"pass": SET_PASS, "fail": SET_FAIL}


@dataclass(frozen=True)
class SetPress:
    """A press of Mark passing / Mark failing: which gate, drawn at which version, to what."""

    gate_id: int
    version: int
    to_pass: bool


def encode_set(gate_id: int, version: int, to_pass: bool) -> str:
    """The value of a Mark passing / Mark failing button."""
    return payloads.encode(g=gate_id, v=version, to="pass" if to_pass else "fail")


def decode_set(action_id: str, value: str) -> SetPress:
    """The press a button carried; NotMine unless its value and action id agree."""
    data = payloads.decode(value, "g", "v", "to")
    if _TARGETS.get(str(data["to"])) != action_id:
        raise payloads.NotMine()
    gate_id, version = payloads.integer(data, "g"), payloads.integer(data, "v")
    return SetPress(gate_id, version, to_pass=data["to"] == "pass")
