"""Reading `/gate add` options from the text Slack sends."""

from __future__ import annotations

import pytest

from bot.core.text.timeparse import ParseError
from bot.gates import options


def parse(text: str) -> options.Options:
    return options.parse(options.raw_words(text), min_interval=10)


def test_slack_links_and_escapes_are_undone() -> None:
    words = options.raw_words("ci <https://ci.example.com/a?x=1&amp;y=2|ci.example.com>")
    assert options.unwrap_url(words[1]) == "https://ci.example.com/a?x=1&y=2"
    assert options.unwrap_url("<https://ci.example.com/b>") == "https://ci.example.com/b"
    assert parse("expect json.n &lt;= 3").expect == "json.n <= 3"
    assert parse("expect json.n &gt;= 3").expect == "json.n >= 3"


def test_expectations_keep_their_quotes_and_may_be_quoted_whole() -> None:
    assert parse('expect json.state == "owner"').expect == 'json.state == "owner"'
    assert parse("expect 'json.state == \"ok\"'").expect == 'json.state == "ok"'
    assert parse("expect \u201cjson.ok == true\u201d").expect == "json.ok == true"


def test_every_option_together() -> None:
    got = parse(
        'expect status == 200 header "Accept: application/json" owner <@U1> <@U2|bo> '
        "every 1m after 3 repeat 15m"
    )
    assert got.expect == "status == 200"
    assert got.headers == [("Accept", "application/json")]
    assert got.owners == ["U1", "U2"]
    assert (got.interval, got.damping, got.repeat) == (60, 3, 900)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("every 5s", "at least 10s"),
        ("after 0", "1 to 20"),
        ("after many", "1 to 20"),
        ("owner bob!", "not a person or a role"),
        ("owner Bob_", "not a person or a role"),
        ("every", "needs a value"),
        ("every 1m 2m", "one value"),
        ("colour red", "options are"),
        ("expect json.x === 1", "needs one value"),
        ('header "Cookie: session=abc"', "credential"),
    ],
)
def test_bad_options_say_what_is_wrong(text: str, said: str) -> None:
    with pytest.raises(ParseError, match=said):
        parse(text)


def test_owners_are_people_or_roles_and_alert_on_yellow_is_a_flag() -> None:
    got = options.parse(
        options.raw_words("owner <@U1> CI-Signal every 1m alert-on-yellow"),
        min_interval=10,
        allowed=options.NATIVE,
        flags=(options.ALERT_ON_YELLOW,),
    )
    assert (got.owners, got.roles, got.interval, got.alert_yellow) == (
        ["U1"],
        ["ci-signal"],
        60,
        True,
    )
    with pytest.raises(ParseError, match="did not understand"):
        parse("alert-on-yellow")  # only where it is offered
    words = options.raw_words("repo:a/b is:open label:x owner <@U1>")
    assert options.split_at_options(words, options.NATIVE) == 3


def test_every_word_is_decoded_once() -> None:
    typed_entity = options.raw_words("ci https://ci.example.com/?q=&amp;lt;x&amp;gt; expect")
    assert typed_entity[1] == "https://ci.example.com/?q=&lt;x&gt;"  # as typed: not decoded twice
    assert options.unwrap_url(typed_entity[1]) == "https://ci.example.com/?q=&lt;x&gt;"
    linked = options.raw_words("ci <https://ci.example.com/?a=1&amp;amp;b=2|x>")
    assert options.unwrap_url(linked[1]) == "https://ci.example.com/?a=1&amp;b=2"
    assert options.raw_words("a&amp;b") == ["a&b"]
    assert options.raw_words("a&amp;amp;b") == ["a&amp;b"]
    assert parse('expect json.name == "R&amp;amp;D"').expect == 'json.name == "R&amp;D"'
