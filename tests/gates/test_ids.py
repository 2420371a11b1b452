"""The manual gate's buttons: what they carry, and that nothing else is read as a press."""

from __future__ import annotations

import pytest

from bot.core.payloads import NOT_MINE, NotMine
from bot.gates import ids


def test_a_press_reads_back_what_the_button_carried() -> None:
    for action_id, to_pass in ((ids.SET_PASS, True), (ids.SET_FAIL, False)):
        value = ids.encode_set(7, 3, to_pass)
        assert ids.decode_set(action_id, value) == ids.SetPress(7, 3, to_pass)
    assert ids.encode_set(7, 0, True) == '{"g":7,"v":0,"to":"pass"}'


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (ids.SET_FAIL, '{"g":7,"v":0,"to":"pass"}'),  # the value of the other button
        (ids.SET_PASS, '{"g":7,"to":"pass"}'),
        (ids.SET_PASS, '{"g":"seven","v":0,"to":"pass"}'),
        (ids.SET_PASS, '{"g":7,"v":0,"to":["pass"]}'),
        (ids.SET_PASS, "not json"),
        (ids.SET_PASS, "[1, 2]"),
    ],
)
def test_a_forged_or_foreign_value_is_not_mine(action_id: str, value: str) -> None:
    with pytest.raises(NotMine, match=NOT_MINE):
        ids.decode_set(action_id, value)
