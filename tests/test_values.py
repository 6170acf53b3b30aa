"""The checkable values of made-up contract and manual sentences: each kind, the normalisation
that makes "sixty days" and "60 days" one value, what compares with what, what is skipped, and
the sentence around a value."""

from __future__ import annotations

import dataclasses

import pytest

from grounding.values import Value, comparable, same_value, sentence_around, values


def one(text: str) -> Value:
    """The single value of `text`; the test fails if there are more or none."""
    found = values(text)
    assert len(found) == 1, found
    return found[0]


def pairs(text: str) -> list[tuple[str, str]]:
    return [(v.kind, v.key) for v in values(text)]


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("The gateway has 7 ports.", "number", "7"),
        ("Up to 25 Authorised Users may log in.", "number", "25"),
        ("Monthly uptime is at least 99.9 %.", "percent", "99.9 %"),
        ("Notice is due 30 days before renewal.", "period", "30 day"),
        ("Backups finish within 24 hours.", "period", "24 hour"),
        ("The term is 12 months.", "period", "12 month"),
        ("Invoices are payable within two weeks.", "period", "2 week"),
        ("The agreement ends after 1 year.", "period", "1 year"),
        ("The set-up fee is EUR 250.", "amount", "eur 250"),
        ("The fee is $1,240.50 a month.", "amount", "usd 1240.5"),
        ("Liability is capped at USD 1.2 million.", "amount", "usd 1200000"),
        ("Each upload may hold 10 MB.", "quantity", "10 MB"),
        ("The controller needs 24 V DC.", "quantity", "24 V"),
        ("It works down to -20 °C.", "quantity", "-20 °C"),
        ("Effective from 1 March 2026.", "date", "2026-03-01"),
        ("Effective from March 1, 2026.", "date", "2026-03-01"),
        ("Effective from 2026-03-01.", "date", "2026-03-01"),
        ("Install v2.4.1 first.", "version", "2.4.1"),
        ("Connections use TLS 1.2 only.", "version", "tls 1.2"),
        ("Update to firmware 4.1.0 first.", "version", "firmware 4.1.0"),
        ("Plug the cable into ETH2 first.", "code", "eth2"),
        ("Data stays in eu-west-1 at all times.", "code", "eu-west-1"),
        ("Files are encrypted with AES-256-GCM.", "code", "aes-256-gcm"),
        ("Its default address is 192.168.1.1 always.", "code", "192.168.1.1"),
        ("The housing is rated IP54.", "code", "ip54"),
        ("Text is encoded as described in RFC 3629.", "code", "rfc 3629"),
        ("The host is certified to ISO 27001.", "code", "iso 27001"),
        ("Reset the HX-40 by hand.", "code", "hx-40"),
        ("Maintenance starts at 14:00 sharp.", "code", "14:00"),
        ("All data is stored in Amsterdam.", "name", "amsterdam"),
    ],
)
def test_each_kind(text, kind, key):
    value = one(text)
    assert (value.kind, value.key) == (kind, key)
    assert text[value.start : value.end] == value.text


# Each text states one value; the pairs state the same thing in two ways.
SAME = [
    ("sixty days", "60 days"),
    ("twenty-four hours", "24 hours"),
    ("thirty (30) days", "30 days"),
    ("1,240 units", "1240 units"),
    ("1 240 units", "1240 units"),
    ("1.240,50 units", "1240.5 units"),
    ("99.9 %", "99.9%"),
    ("99.9%", "99.9 percent"),
    ("99.9 per cent", "99.9 %"),
    ("two weeks", "14 days"),
    ("24 hours", "1 day"),
    ("12 months", "1 year"),
    ("1 month", "30 days"),
    ("90 min", "1.5 hours"),
    ("€250", "EUR 250"),
    ("EUR 250", "250 euros"),
    ("$1,240.50", "USD 1240.5"),
    ("2 GB", "2048 MB"),
    ("2 GB", "2000 MB"),
    ("-4 °F", "-20 °C"),
    ("ETH2", "eth2"),
    ("ISO/IEC 27001", "ISO 27001"),
    ("version 3.2", "firmware 3.2"),
    ("5 pm", "17:00"),
    ("1 March 2026", "2026-03-01"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_value_across_spellings(a, b):
    assert same_value(one(a), one(b))
    assert same_value(one(b), one(a))
    assert comparable(one(a), one(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("30 days", "45 days"),
        ("TLS 1.2", "TLS 1.3"),
        ("ETH2", "ETH3"),
        ("EUR 250", "USD 250"),  # another currency contradicts
        ("99.9 %", "99.5 %"),
        ("10 MB", "1 GB"),
        ("1 March 2026", "1 April 2026"),
        ("30 days", "12 months"),
        ("09:00", "17:00"),
    ],
)
def test_comparable_but_different(a, b):
    assert comparable(one(a), one(b))
    assert not same_value(one(a), one(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("30 days", "30 %"),
        ("10 MB", "10 V"),
        ("TLS 1.2", "SSL 3.0"),
        ("ETH2", "AES-256"),
        ("10 business days", "14 days"),
        ("March 2026", "1 March 2026"),  # a month and a day: other precisions
        ("in Amsterdam", "in Frankfurt"),  # another name is no contradiction by itself
        ("7", "7 days"),
    ],
)
def test_not_comparable(a, b):
    assert not comparable(one(a), one(b))
    assert not same_value(one(a), one(b))


@pytest.mark.parametrize(
    "text",
    [
        "as set out in section 4.2",
        "subject to §3.1 and § 3.2",
        "under clause 7(b) of this agreement",
        "see Schedule 2 and Annex 3",
        "sections 4.2 and 4.3 apply",
        "the supplier shall use reasonable endeavours to keep the service available",
        "one of the parties may end it",
        "two-factor authentication is required",
        "the 3rd party and the second shift",
        "open 24/7 and dated 01/03/2026",
        "1,5 is ambiguous",
        "31 February 2026",
    ],
)
def test_no_value(text):
    assert values(text) == []


def test_reference_does_not_swallow_a_following_period():
    assert pairs("Under clause 7 and 30 days later") == [("period", "30 day")]


def test_list_markers_and_numbered_headings_are_skipped():
    text = "4.2 Notice\n1. The Customer gives notice.\n(2) The Supplier replies.\n2.5 GB is free."
    assert pairs(text) == [("quantity", "2.5 GB")]


def test_numbers_as_written():
    assert one("1.240 units").number == pytest.approx(1.24)  # a dot alone is a decimal point
    assert one("twenty-four hours").number == 24.0
    assert one("sixty days").unit == "day"
    assert one("one day").key == "1 day"  # "one" counts with a unit...
    assert values("one or more parties") == []  # ...and not alone


def test_a_lone_year():
    year = one("in 2026")
    assert (year.kind, year.unit, year.key, year.text) == ("date", "year", "2026", "2026")
    assert pairs("up to 2026 requests") == [("number", "2026")]
    assert pairs("from March 2026") == [("date", "2026-03")]


def test_a_range_keeps_its_second_number():
    assert pairs("10-20 days") == [("number", "10"), ("period", "20 day")]


def test_names_skip_sentence_openers_and_defined_terms():
    assert values("Frankfurt hosts the backups.") == []
    assert values("Press Reset to restart. The Amsterdam office closes.") == []
    assert pairs("Backups stay in Frankfurt. Frankfurt hosts them.") == [
        ("name", "frankfurt"),
        ("name", "frankfurt"),
    ]
    assert values("The Supplier grants the Customer access for its Authorised Users.") == []
    assert pairs("This Agreement is made with Tessaline Systems B.V. today.") == [
        ("name", "tessaline systems b.v.")
    ]


CONTRACT = [
    (
        "Either party may terminate this Agreement by giving sixty (60) days' written notice.",
        [("period", "60 day")],
    ),
    (
        "The Supplier shall make the Service available 99.9% of the time in each calendar month.",
        [("percent", "99.9 %")],
    ),
    (
        "The Customer shall pay the Fees of EUR 1,240.50 per month within thirty days of invoice.",
        [("amount", "eur 1240.5"), ("period", "30 day")],
    ),
    (
        "This Agreement commences on 1 March 2026 and continues for an initial term of 12 months.",
        [("date", "2026-03-01"), ("period", "12 month")],
    ),
    (
        "Customer Data is hosted in Frankfurt and backed up to eu-west-1 every 24 hours.",
        [("name", "frankfurt"), ("code", "eu-west-1"), ("period", "24 hour")],
    ),
    (
        "Subject to clause 9.2, the total liability of either party shall not exceed "
        "USD 1.2 million.",
        [("amount", "usd 1200000")],
    ),
    (
        "Tessaline Systems B.V., a company registered in Amsterdam, shall notify a breach "
        "within 72 hours.",
        [("name", "tessaline systems b.v."), ("name", "amsterdam"), ("period", "72 hour")],
    ),
    (
        "All connections use TLS 1.2 or higher and data at rest is encrypted with AES-256-GCM.",
        [("version", "tls 1.2"), ("code", "aes-256-gcm")],
    ),
    (
        "The HX-40 accepts 24 V DC and operates between -20 °C and 50 °C.",
        [("code", "hx-40"), ("quantity", "24 V"), ("quantity", "-20 °C"), ("quantity", "50 °C")],
    ),
    (
        "Connect the sensor to port ETH2; the default address is 192.168.1.1.",
        [("code", "eth2"), ("code", "192.168.1.1")],
    ),
    (
        "Update to firmware 4.1.0 before enabling SNMPv3; logs hold up to 10 MB.",
        [("version", "firmware 4.1.0"), ("version", "snmp 3"), ("quantity", "10 MB")],
    ),
    (
        "Support is available from 09:00 to 17:00 CET on 5 business days a week.",
        [("code", "09:00"), ("code", "17:00"), ("name", "cet"), ("period", "5 business day")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CONTRACT)
def test_contract_and_manual_sentences(text, expected):
    found = values(text)
    assert [(v.kind, v.key) for v in found] == expected
    for value in found:
        assert text[value.start : value.end] == value.text
    ends = [(v.start, v.end) for v in found]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(ends, ends[1:], strict=False))


def test_sentence_around_keeps_abbreviations_and_decimals():
    text = (
        "Ports vary by model. Some ports, e.g. ETH2, carry power.\n"
        "Uptime is 99.9 % a month. Service credits apply below it."
    )
    port, uptime = values(text)[0], values(text)[1]
    assert port.key == "eth2" and uptime.key == "99.9 %"
    assert sentence_around(text, port) == "Some ports, e.g. ETH2, carry power."
    assert sentence_around(text, uptime) == "Uptime is 99.9 % a month."


def test_sentence_around_the_first_and_last_sentences():
    text = "Notice is 60 days. The fee is EUR 250"
    first, last = values(text)
    assert sentence_around(text, first) == "Notice is 60 days."
    assert sentence_around(text, last) == "The fee is EUR 250"


def test_values_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        one("60 days").key = "61 day"  # type: ignore[misc]
