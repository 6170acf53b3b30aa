"""Numbers and units as texts write them: the patterns that read a number (digits or words), the
canonical units of periods, quantities and currencies, and whether two magnitudes are the same.

Thousands: "1,240", "1 240" and "1.240,50" (dots, then a decimal comma) are 1240 and 1240.5;
"1.240" is the decimal 1.24 (the documents are English); "1,5" is read as nothing (a decimal
comma or a list: ambiguous). Number words run from "zero" to "billion", compounds included
("twenty-four", "one hundred and twenty"); in "thirty (30) days" the digits decide.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

SP = "[ \u00a0\u202f]"  # a space inside a value: plain, no-break or narrow no-break
_SMALL = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
_SMALL += " fifteen sixteen seventeen eighteen nineteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_SHORT_SCALES = {"k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9}  # of money: "EUR 1.2m"
WORDS = {w: i for i, w in enumerate(_SMALL.split())}
WORDS |= {w: 10 * i for i, w in enumerate(_TENS.split(), 2)} | {"hundred": 100} | _SCALES
_WORD = "|".join(sorted(WORDS, key=len, reverse=True))
_NUM_WORDS = rf"(?<![\w-])(?i:(?:{_WORD})(?:(?:{SP}+|-)(?:and{SP}+)?(?:{_WORD}))*)(?!\w)"
_DIGITS = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d{{1,3}}(?:\.\d{{3}})+,\d{{1,2}}"
    rf"|\d{{1,3}}(?:{SP}\d{{3}})+|\d+(?:\.\d+)?)(?!\d|[.,]\d)"
)
# A minus sign only after a space ("-20 °C"), never in "E-204" or a range's "10-20"; the second
# number of a range ("10-20 days") is read, the digits of a code ("E-204", "eu-west-1") are not.
_LEFT = r"(?:(?<![\w.,/−-])[-−](?=\d)|(?<![\w.,/])(?<![A-Za-z][-–]))"


def number_pattern(scales: str = "million|billion|thousand") -> str:
    """A number in digits or words with an optional scale word, as the named group `n`."""
    words = rf"{_NUM_WORDS}(?:\s*\(\s*{_DIGITS}\s*\))?"
    return rf"(?P<n>(?:{_LEFT}{_DIGITS}|{words})(?:{SP}?(?:{scales})(?!\w))?)"


def read_number(text: str) -> Decimal:
    """The magnitude of a `number_pattern` match: "sixty" 60, "1,240.50" 1240.5, "1.2 million"."""
    inner = re.search(r"\(\s*([^)]*?)\s*\)", text)  # "thirty (30)": the digits decide
    text = inner.group(1) if inner else text
    words = re.findall(r"[a-z]+", text.lower())
    if text[0].isalpha():
        total = current = 0
        for word in words:
            if word in _SCALES:
                total, current = total + max(current, 1) * _SCALES[word], 0
            elif word == "hundred":
                current = max(current, 1) * 100
            else:
                current += WORDS.get(word, 0)  # "and" adds nothing
        return Decimal(total + current)
    digits = re.match(r"[-−]?[\d.,\s]*\d", text).group().replace("−", "-")
    if re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+,\d{1,2}", digits):
        digits = digits.replace(".", "").replace(",", ".")
    scale = (_SCALES | _SHORT_SCALES).get(words[-1], 1) if words else 1
    return Decimal(re.sub(r"[,\s]", "", digits)) * scale


def fmt(number: Decimal) -> str:
    """The plain decimal form of a number for a key: "1240.5", "1200000", "-20"."""
    return format(number.normalize(), "f")


PERIODS = {  # canonical unit: surface forms; the one-letter forms only in lower case
    "millisecond": r"ms|(?i:milliseconds?)",
    "second": r"s|(?i:secs?|seconds?)",
    "minute": r"(?i:mins?|minutes?)",
    "hour": r"h|(?i:hrs?|hours?)",
    "business day": r"(?i:(?:business|working)[ -]days?)",
    "day": r"d|(?i:(?:calendar[ -])?days?)",
    "week": r"(?i:wks?|weeks?)",
    "month": r"(?i:months?)",
    "quarter": r"(?i:quarters?)",
    "year": r"(?i:yrs?|years?)",
}
_SECONDS = {"millisecond": 1e-3, "second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SECONDS["week"] = 7 * 86400
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# canonical unit: (surface forms, dimension, factor to the dimension's base unit)
QUANTITIES: dict[str, tuple[str, str, float]] = {
    "bytes": (r"(?i:bytes?)", "data", 1),
    **{
        f"{p}B": (rf"{p}B|{p.lower()}B|(?i:{name}bytes?)", "data", 1000.0**i)
        for i, (p, name) in enumerate(zip("KMGT", ("kilo", "mega", "giga", "tera"), strict=True), 1)
    },
    **{f"{p}iB": (f"{p}iB", "data", 1024.0**i) for i, p in enumerate("KMGT", 1)},
    "kbit/s": (r"kbit/s|kb/s|[kK]bps", "bitrate", 1e3),
    "Mbit/s": (r"Mbit/s|Mb/s|Mbps", "bitrate", 1e6),
    "Gbit/s": (r"Gbit/s|Gb/s|Gbps", "bitrate", 1e9),
    "mV": ("mV", "voltage", 1e-3),
    "V": (r"V|VDC|VAC|(?i:volts?)", "voltage", 1),
    "kV": ("kV", "voltage", 1e3),
    "mA": ("mA", "current", 1e-3),
    "A": (r"A|(?i:amps?|amperes?)", "current", 1),
    "mW": ("mW", "power", 1e-3),
    "W": (r"W|(?i:watts?)", "power", 1),
    "kW": ("kW", "power", 1e3),
    "Wh": ("Wh", "energy", 1),
    "kWh": ("kWh", "energy", 1e3),
    "mAh": ("mAh", "charge", 1),
    "Hz": ("Hz", "frequency", 1),
    "kHz": ("kHz", "frequency", 1e3),
    "MHz": ("MHz", "frequency", 1e6),
    "GHz": ("GHz", "frequency", 1e9),
    "°C": (rf"[°º]{SP}?C|(?i:degrees?{SP}Celsius)", "temperature", 1),
    "°F": (rf"[°º]{SP}?F|(?i:degrees?{SP}Fahrenheit)", "temperature", 5 / 9),
    "mm": ("mm", "length", 1e-3),
    "cm": ("cm", "length", 1e-2),
    "m": (r"m|(?i:metres?|meters?)", "length", 1),
    "km": ("km", "length", 1e3),
    "mg": ("mg", "mass", 1e-3),
    "g": (r"g|(?i:grams?)", "mass", 1),
    "kg": (r"kg|(?i:kilograms?)", "mass", 1e3),
    "Pa": ("Pa", "pressure", 1),
    "kPa": ("kPa", "pressure", 1e3),
    "bar": ("bar", "pressure", 1e5),
    "psi": ("psi", "pressure", 6894.757),
    "dB": ("dB", "gain", 1),
    "dBm": ("dBm", "signal power", 1),
    "rpm": ("(?i:rpm)", "rotation", 1),
    "Ω": (r"Ω|(?i:ohms?)", "resistance", 1),
}
_OFFSET = {"°F": -32.0}  # added before the factor: (°F - 32) * 5/9 is °C
CURRENCIES = {
    "EUR": r"€|EUR|(?i:euros?)",
    "USD": r"US\$|\$|USD|(?i:dollars?)",
    "GBP": rf"£|GBP|(?i:pounds{SP}sterling)",  # "pounds" alone may weigh
    "CHF": "CHF",
}

# The surface forms of each table as one alternation, for the patterns that read values
PERIOD_UNITS = "|".join(PERIODS.values())
QUANTITY_UNITS = "|".join(forms for forms, _, _ in QUANTITIES.values())
CURRENCY_UNITS = "|".join(CURRENCIES.values())


def canonical(table: dict, surface: str) -> str:
    """The canonical unit of `table` (PERIODS, QUANTITIES, CURRENCIES) written as `surface`."""
    for unit, forms in table.items():
        if re.fullmatch(forms if isinstance(forms, str) else forms[0], surface):
            return unit
    raise ValueError(surface)  # the patterns are built from these tables: a bug


def dimension(unit: str) -> str:
    """The dimension of a quantity's canonical unit ("MB" -> "data")."""
    return QUANTITIES[unit][1]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def same_period(a: float, unit_a: str, b: float, unit_b: str) -> bool:
    """Whether two periods are one: across units within clock time (2 weeks = 14 days) and
    within the calendar (12 months = 1 year); across the two when the days fit the months
    (28-31 a month, 364-366 a year). Business days compare only with business days."""
    if "business day" in (unit_a, unit_b):
        return unit_a == unit_b and _close(a, b)
    if unit_a in _SECONDS and unit_b in _SECONDS:
        return _close(a * _SECONDS[unit_a], b * _SECONDS[unit_b])
    if unit_a in _MONTHS and unit_b in _MONTHS:
        return _close(a * _MONTHS[unit_a], b * _MONTHS[unit_b])
    if unit_a in _MONTHS:
        a, unit_a, b, unit_b = b, unit_b, a, unit_a
    days, months = a * _SECONDS[unit_a] / 86400, b * _MONTHS[unit_b]
    low, high = (364 / 12, 366 / 12) if months % 12 == 0 else (28, 31)
    return low * months <= days <= high * months


def _bases(number: float, unit: str) -> set[float]:
    """A quantity in its dimension's base unit; a data size read both ways (1 GB = 1000 MB, as
    the SI says, or 1024 MB, as many manuals mean)."""
    _, dim, factor = QUANTITIES[unit]
    bases = {(number + _OFFSET.get(unit, 0.0)) * factor}
    if dim == "data" and unit[0] in "KMGT" and "i" not in unit:
        bases.add(number * 1024.0 ** ("KMGT".index(unit[0]) + 1))
    return bases


def same_quantity(a: float, unit_a: str, b: float, unit_b: str) -> bool:
    """Whether two quantities of one dimension are one ("2 GB" = "2048 MB", "-4 °F" = "-20 °C")."""
    if dimension(unit_a) != dimension(unit_b):
        return False
    return any(_close(x, y) for x in _bases(a, unit_a) for y in _bases(b, unit_b))
