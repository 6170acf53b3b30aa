"""The checkable values a text states (issue #23, point 1), normalised so that "sixty days" and
"60 days", or "€250" and "250 euros", compare as one.

Rules, not a model: no spaCy model that we may trust ships offline on PyPI, and the values come in
a few regular shapes that regular expressions read exactly, fast and visibly. Precision comes
before recall: a value read wrongly becomes a false contradiction, a value missed goes unchecked.

Choices (each tested in tests/test_values.py; numbers and units: grounding/units.py):
- Skipped: references into the document ("section 4.2", "§3.1", "clause 7(b)"), list markers
  ("1.", "(2)") and numbered headings ("4.2 Notice"): they say nothing about the world.
- Number words alone count from "two" up ("one of the parties" counts nothing); with a unit
  any counts ("one day"). A plain number's unit is "" (the noun it counts is not read).
- Dates: `number` None, `unit` the precision ("day", "month", "year"), `key` ISO ("2026-03-01",
  "2026-03", "2026"). A lone year is a date after "in", "since", "by"... and else a `number`.
  Slash dates (01/03/2026) are skipped: the day-month order is ambiguous.
- A time of day ("14:00", "5 pm") is a `code` of family "time", key "HH:MM".
- A code's `unit` is its family (IP addresses, times, a standard's body, IP ratings, else the
  letters before its first digit: "ETH2" -> "eth"); a version's is its product ("tls"; "" for a
  bare "version 3.2"). "24 V DC" keeps "DC" in its text only; its unit is "V".
- Names: runs of capitalised words, less common words and defined terms ("The", "Supplier");
  a lone sentence-initial word only if the text capitalises it elsewhere too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from documents.evidence import SENTENCE_END, STOPWORDS  # one rule for where sentences end
from grounding import units
from grounding.units import CURRENCY_UNITS, PERIOD_UNITS, QUANTITY_UNITS, SP


@dataclass(frozen=True)
class Value:
    """One checkable value of a text, as written and normalised."""

    kind: str  # number, percent, period, amount, quantity, date, version, code, name
    text: str  # as written
    start: int  # character offsets in the text
    end: int
    number: float | None  # the magnitude in `unit`; None for dates, versions, codes and names
    unit: str  # canonical unit, a date's precision, a version's product, a code's family
    key: str  # the normalised comparable form: "60 day", "99.9 %", "eur 250", "eth2"


Built = tuple[float | None, str, str] | None  # number, unit, key; None: a span to skip
_NUM = units.number_pattern()
_END = r"(?![\w/])"
_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_REF = (
    rf"(?:§§?{SP}?|(?i:sections?|clauses?|articles?|art\.|schedules?|annex(?:es)?|appendix"
    rf"|paragraphs?|para\.|chapters?|exhibits?|steps?|figures?|fig\.|tables?|pages?){SP})"
)
_UNIT = f"{PERIOD_UNITS}|{QUANTITY_UNITS}"
_REF_NO = r"\d+(?:\.\d+)*(?!\.?\d)(?:\([a-z0-9]+\))*"
_PRODUCTS = (
    r"TLS|SSL|HTTP|SNMP|Bluetooth|USB|Python|OpenSSL|Wi-Fi|PCIe|OAuth|Modbus|MQTT|Android"
    r"|iOS|Windows|macOS|Ubuntu|Java|PHP|PostgreSQL|MySQL|(?i:firmware|software)"
)
_GENERIC = r"(?i:version|ver\.?|release|rev\.?)"
_VERSION = r"(?P<ver>\d+(?:\.\d+)*[a-z]?)(?!\w|\.\d)"
_STANDARDS = r"RFC|ISO(?:/IEC)?|IEC|EN|IEEE|DIN|NEN|FIPS|NIST SP|SOC|PCI[ -]DSS"
_AM_PM = r"(?P<ap>(?i:[ap]\.?m\b\.?))"
_MONEY = units.number_pattern("million|billion|thousand|bn|mn|m|k")  # "EUR 1.2m", "$10k"
_CODE_TAIL = r"[A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*(?![\w/]|-\w|\.\w)"


def _plain(m: re.Match) -> Built:
    n = units.read_number(m["n"])
    return None if m["n"][0].isalpha() and n < 2 else (float(n), "", units.fmt(n))


def _unit(kind: str) -> Callable[[re.Match], Built]:
    """A builder for a number with a unit: a period, a quantity, an amount or a percentage."""
    tables = {"period": units.PERIODS, "quantity": units.QUANTITIES, "amount": units.CURRENCIES}
    table = tables.get(kind)

    def build(m: re.Match) -> Built:
        n, unit = units.read_number(m["n"]), units.canonical(table, m["u"]) if table else "%"
        key = f"{unit.lower()} {units.fmt(n)}" if kind == "amount" else f"{units.fmt(n)} {unit}"
        return float(n), unit, key

    return build


def _date(m: re.Match) -> Built:
    groups = m.groupdict()
    name = groups.get("mon")
    month = _MONTHS.index(name[:3].lower()) + 1 if name else int(groups.get("m") or 0)
    if groups.get("d") is None:
        return (None, "month", f"{m['y']}-{month:02d}") if month else (None, "year", m["y"])
    try:
        return None, "day", date(int(m["y"]), month, int(m["d"])).isoformat()
    except ValueError:  # "31 February 2026": no date, and no numbers either
        return None


def _version(m: re.Match) -> Built:
    product = (m.groupdict().get("p") or "").lower()
    return None, product, f"{product} {m['ver']}".strip()


def _time(m: re.Match) -> Built:
    hour, minute, suffix = int(m["h"]), int(m["mi"] or 0), (m["ap"] or "").lower()
    hour = hour % 12 + (12 if suffix.startswith("p") else 0) if suffix else hour
    return None, "time", f"{hour:02d}:{minute:02d}"


def _code(family: str | None) -> Callable[[re.Match], Built]:
    """A builder for a code of a fixed family, or of its leading letters when None."""

    def build(m: re.Match) -> Built:
        key = re.sub(r"\s+", " ", m.group().lower()).replace("iso/iec", "iso")
        leading = re.match(r"[a-z_-]*", key)[0].strip("-_")  # "eu-west-1" -> "eu-west"
        return None, family if family is not None else leading, key

    return build


def _standard(m: re.Match) -> Built:
    family = m["f"].lower().replace("/iec", "")
    return None, family, f"{family} {m['id'].lower()}"


_SKIP = (  # references, list markers and numbered headings, slash dates and "24/7"
    rf"{_REF}{_REF_NO}(?:\s*(?:,|and|or|to|-|–)\s*{_REF_NO}(?!{SP}?(?:{_UNIT}|%)(?!\w)))*"
    r"|(?m:^)[ \t]*(?:#+[ \t]*)?(?:\d+(?:\.\d+)+\.?(?=[ \t]+[A-Z][a-z])|\d+[.)](?=[ \t])"
    r"|\(\d+\)(?=[ \t]))|(?<![\w.])\d+/\d+(?:/\d+)?(?![\w/])"
)
_YEAR = r"(?i:\b(?:in|since|until|till|by|from|before|after|during|of|year)\s+)"
_YEAR += r"(?P<v>(?P<y>(?:19|20)\d{2}))(?!\w|[.,]\d)"
_QUANTITY = rf"(?P<u>{QUANTITY_UNITS}){_END}(?:{SP}(?:AC|DC)\b)?"
_TIME = rf"(?<![\w.:])(?P<h>[01]?\d|2[0-3]):(?P<mi>[0-5]\d)(?:{SP}?{_AM_PM})?(?![\w:])"
_CLOCK = rf"(?<![\w.:])(?P<h>1[0-2]|0?[1-9]){SP}?{_AM_PM}(?P<mi>)"  # "5 pm"
_IP = r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?(?!\w|\.\d)"
# (kind, builder, pattern), most specific first: a tie in length goes to the earlier rule.
# A pattern's group `v`, where it has one, is the value's span.
_RULES: list[tuple[str, Callable[[re.Match], Built], str]] = [
    ("skip", lambda m: None, _SKIP),
    ("date", _date, r"(?<![\w.-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\w-])"),
    ("date", _date, rf"(?<![\w.]){_DAY}{SP}+(?:of{SP}+)?{_MONTH},?{SP}+(?P<y>\d{{4}})\b"),
    ("date", _date, rf"\b{_MONTH}{SP}+{_DAY},?{SP}+(?P<y>\d{{4}})\b"),
    ("date", _date, rf"\b{_MONTH},?{SP}+(?P<y>\d{{4}})\b"),
    ("date", _date, _YEAR),
    ("amount", _unit("amount"), rf"(?P<u>{CURRENCY_UNITS}){SP}?{_MONEY}"),
    ("amount", _unit("amount"), rf"{_MONEY}{SP}?(?P<u>{CURRENCY_UNITS})(?!\w)"),
    ("percent", _unit("percent"), rf"{_NUM}{SP}?(?:%|(?i:percent|per{SP}?cent)(?!\w))"),
    ("period", _unit("period"), rf"{_NUM}(?:{SP}|-)?(?P<u>{PERIOD_UNITS}){_END}"),
    ("quantity", _unit("quantity"), rf"{_NUM}(?:{SP}|-)?{_QUANTITY}"),
    ("version", _version, rf"(?<![\w.])(?P<p>{_PRODUCTS})(?:{SP}{_GENERIC})?[ /]?v?{_VERSION}"),
    ("version", _version, rf"(?<![\w.-])(?:{_GENERIC}{SP}?v?|[vV]){_VERSION}"),
    ("code", _code("ip"), _IP),
    ("code", _time, _TIME),
    ("code", _time, _CLOCK),
    ("code", _standard, rf"(?<![\w.])(?P<f>{_STANDARDS}){SP}?(?P<id>\d+(?:[-.:]\d+)*)(?!\w)"),
    ("code", _code("ip rating"), r"(?<![\w.])IP(?:\d{2}|X\d|\dX)(?!\w)"),
    ("number", _plain, rf"{_NUM}(?![\w/]|-[A-Za-z])"),
    ("code", _code(None), rf"(?<![\w.\-/])(?=[A-Za-z][\w-]*\d)[A-Za-z]{_CODE_TAIL}"),
    ("code", _code(""), rf"(?<![\w.\-/])\d+(?!(?:st|nd|rd|th)\b)[A-Za-z]{_CODE_TAIL}"),
]
_COMPILED = [(kind, build, re.compile(pattern)) for kind, build, pattern in _RULES]

_CAP = r"(?:[A-Z][a-z]+(?:'[A-Z][a-z]+)?(?:-[A-Z][a-z]+)*|[A-Z][a-z]*[A-Z][A-Za-z]*|[A-Z]{2,}s?)"
_SUFFIX = r"(?:B\.V\.|N\.V\.|GmbH|Ltd\.?|Inc\.?|LLC|plc|AG|SE|S\.A\.)"
_CAPITAL = re.compile(rf"(?<![\w.-]){_CAP}(?![\w-])")
_NAME = re.compile(
    rf"(?<![\w.-]){_CAP}(?:{SP}+(?:(?:of|de|van|der|den|von|du|&){SP}+)?{_CAP})*"
    rf"(?:,?{SP}+{_SUFFIX})?(?![\w-])"
)
# Capitalised but no name: sentence openers, notices, calendar words and the defined terms of
# contracts ("the Supplier", "Authorised Users"), which every agreement spells its own way.
_COMMON_WORDS = """each either every our your we you they he she please note notes warning
    caution important see also both neither such after before during under upon within unless
    where while once press connect contact install open select click use set check remove
    replace turn enable disable update agreement supplier customer client provider party
    parties service services user users authorised authorized data term fees fee effective date
    order form licence license licensee licensor software documentation product products
    confidential information personal processor controller subprocessor affiliate affiliates
    contract company device unit manual table figure section clause schedule annex appendix
    article step chapter business day days working support hours charges monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august
    september october november december"""
_COMMON = STOPWORDS | frozenset(_COMMON_WORDS.split())
_OPENER = re.compile(  # what may stand before a sentence's first word
    r"(?:[.!?:]\s+|(?:\A|\n)[ \t]*(?:#+[ \t]*)?(?:[-*•>][ \t]*|\(?\w{1,3}[.)][ \t]*"
    r"|\d+(?:\.\d+)+[ \t]+)?)[\"'“‘(]*\Z"
)
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?i:e\.g|i\.e|etc|cf|vs|approx|incl|no|nr|art|sec|fig|para|mr|mrs|ms|dr|ltd|inc"
    r"|co|b\.v|n\.v|s\.a)\.$"
)


def _initial(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text, a sentence, a line or a list item."""
    return start == 0 or bool(_OPENER.search(text, start - 24, start))


def _names(text: str) -> list[Value]:
    """The names of `text`: runs of capitalised words less leading common words; a run left with
    one word that opens a sentence ("Press Reset") only if the text capitalises it elsewhere."""
    elsewhere: dict[str, list[int]] = {}  # where each word stands capitalised mid-sentence
    for m in _CAPITAL.finditer(text):
        if not _initial(text, m.start()):
            elsewhere.setdefault(m.group().lower(), []).append(m.start())
    found = []
    for match in _NAME.finditer(text):
        tokens = list(_CAPITAL.finditer(text, match.start(), match.end()))
        while tokens and tokens[0].group().lower() in _COMMON:
            tokens.pop(0)
        if not tokens or all(t.group().lower() in _COMMON for t in tokens):
            continue
        start, end = tokens[0].start(), match.end()
        key = re.sub(r"\s+", " ", text[start:end]).lower()
        outside = [p for p in elsewhere.get(key, []) if not match.start() <= p < end]
        if " " in key or not _initial(text, match.start()) or outside:
            found.append(Value("name", text[start:end], start, end, None, "", key))
    return found


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def values(text: str) -> list[Value]:
    """The checkable values of `text` in order, none overlapping: the longest span wins, then the
    most specific rule; names fill only what no other value holds."""
    candidates = []
    for rank, (kind, build, pattern) in enumerate(_COMPILED):
        for m in pattern.finditer(text):
            start, end = m.span("v") if "v" in pattern.groupindex else m.span()
            candidates.append((start - end, rank, start, end, kind, build, m))
    taken: list[tuple[int, int]] = []
    found = []
    for _, _, start, end, kind, build, m in sorted(candidates, key=lambda c: c[:3]):
        if _overlaps(start, end, taken):
            continue
        taken.append((start, end))  # a skipped span (a reference) also hides its numbers
        built = build(m)
        if built is not None:
            found.append(Value(kind, text[start:end], start, end, *built))
    found += [n for n in _names(text) if not _overlaps(n.start, n.end, taken)]
    return sorted(found, key=lambda v: v.start)


def comparable(a: Value, b: Value) -> bool:
    """Whether `b` speaks of the same thing as `a`, so that a different value contradicts it:
    the same kind; for quantities one dimension, for dates one precision, for versions one
    product, for codes one family; names only as the same name."""
    if a.kind != b.kind:
        return False
    if a.kind == "quantity":
        return units.dimension(a.unit) == units.dimension(b.unit)
    if a.kind == "period":
        return (a.unit == "business day") == (b.unit == "business day")
    if a.kind == "date":
        return a.unit == b.unit
    if a.kind == "version":
        return a.unit == b.unit or not (a.unit and b.unit)
    if a.kind in ("code", "name"):
        return a.key == b.key or (a.kind == "code" and a.unit != "" and a.unit == b.unit)
    return True  # numbers, percentages, amounts (another currency contradicts too)


def same_value(a: Value, b: Value) -> bool:
    """Whether `a` and `b` state the same thing ("two weeks" and "14 days", "€250" and
    "250 euros", "ETH2" and "eth2")."""
    if not comparable(a, b):
        return False
    if a.kind == "period":
        return units.same_period(a.number, a.unit, b.number, b.unit)
    if a.kind == "quantity":
        return units.same_quantity(a.number, a.unit, b.number, b.unit)
    if a.kind in ("number", "percent", "amount"):
        return a.unit == b.unit and math.isclose(a.number, b.number, abs_tol=1e-12)
    if a.kind == "version":
        return a.key.removeprefix(a.unit).strip() == b.key.removeprefix(b.unit).strip()
    return a.key == b.key


def sentence_around(text: str, value: Value) -> str:
    """The sentence of `text` that holds `value`; "e.g.", "No." and decimals do not end one."""
    start = 0
    for end in SENTENCE_END.finditer(text):
        cut = end.start()
        if "\n" not in end.group() and _ABBREVIATION.search(text, cut - 8, cut):
            continue  # "e.g. ETH2" goes on
        if value.start < cut:
            return text[start:cut].strip()
        start = end.end()
    return text[start:].strip()
