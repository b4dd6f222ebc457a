"""Text cells of the ``excel-csv`` export that Excel would otherwise turn into numbers or dates.

Excel (and LibreOffice) opening a CSV by a double click types every field it can: an id of more than
15 digits (a Facebook or Telegram id, a hash of digits) becomes a number rounded to 15 digits, and
shows as 1.23457E+17; ``0480`` loses its zero; an item title such as ``03.04``, ``1-2`` or ``5 мая``
becomes a date, ``12:30`` a time, ``10%``, ``(5)`` or ``1 000`` a number, ``ИСТИНА`` a truth value.
Saving the file then keeps what Excel made of it.

Such a cell is written as a formula that is one string constant, ``="0480"``: Excel shows and keeps
its exact text, as a text cell. A leading apostrophe (how the exports defuse text that would start
a formula) is shown by Excel as part of a CSV cell's text, so it would not keep the text exact. The
formula is never anything but a constant: only cells made of digits, spaces, the signs of numbers,
dates and times, month names and truth values are written so; none can hold a quote, a function or
a cell reference. Longer than a formula's string may be (255 characters), a cell keeps the
apostrophe instead (no id or date is that long). Plain ``csv`` is for tools: its cells stay as
they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

FORMULA_TEXT_MAX = 255  # characters of a string constant in an Excel formula
# Digits with what numbers, dates, times, fractions and percentages are written with (spaces, no
# line breaks: a cell of several lines stays text); at least one digit.
_MARKS = r"[ \u00a0\u202f.,:/()%+\-−eE]*+"
_NUMBER_DATE_TIME = rf"(?:{_MARKS}\d)++{_MARKS}"
# Months as Excel in Russian, Kazakh or English reads them, by their first three letters.
_MONTHS = (
    "янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек"
    "|қаң|ақп|нау|сәу|мам|мау|шіл|там|қыр|қаз|қар|жел"
    "|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
)
_SEP = r"[ \u00a0.\-/,]*"
_MONTH_DATE = (
    rf"\d{{1,4}}{_SEP}(?:{_MONTHS})[^\W\d_]*\.?(?:{_SEP}\d{{1,4}})?"
    rf"|(?:{_MONTHS})[^\W\d_]*\.?{_SEP}\d{{1,4}}(?:{_SEP}\d{{1,4}})?"
)
_TRUTH = "true|false|истина|ложь|ақиқат|жалған"
_SPACES = "[ \u00a0]*"
_NUMBER = re.compile(rf"{_SPACES}{_NUMBER_DATE_TIME}{_SPACES}")
_WORDS = re.compile(rf"(?i){_SPACES}(?:{_MONTH_DATE}|{_TRUTH}){_SPACES}")
# First characters that can begin either, and the longest text the second can be: a cheap test
# spares the regular expressions (a few microseconds a cell, with letters of any case) almost every cell.
_NUMBER_FIRST = frozenset("0123456789 \u00a0\u202f.,:/()%+-−eE")
_WORDS_FIRST = frozenset(
    "0123456789 \u00a0" + "".join({w[0] for w in f"{_MONTHS}|{_TRUTH}".replace("ма[йя]", "ма").split("|")})
)
_WORDS_FIRST |= frozenset(c.upper() for c in _WORDS_FIRST)
_WORDS_MAX = 24  # "30 сентября 2024" is 16


def read_as_typed(text: str) -> bool:
    """Whether Excel opening a CSV would read the whole of ``text`` as a number, date, time or truth value."""
    first = text[:1]
    if first in _NUMBER_FIRST and _NUMBER.fullmatch(text) is not None:
        return True
    return len(text) <= _WORDS_MAX and first in _WORDS_FIRST and _WORDS.fullmatch(text) is not None


def kept_as_text(raw: Sequence[Any], shown: Sequence[Any]) -> list[Any]:
    """Text cells of ``excel-csv``: a value of ``raw`` that Excel would read as anything but text as a
    formula of its text (beyond FORMULA_TEXT_MAX characters, after an apostrophe), any other as
    ``shown`` (the value defused of formulas)."""
    # Each distinct value tested once: most columns repeat a few values (sources, authors, statuses).
    typed: dict[str, bool] = {}
    cells = []
    for value, cell in zip(raw, shown, strict=True):
        if isinstance(value, str) and value:
            known = typed.get(value)
            if known is None:
                known = typed[value] = read_as_typed(value)
            if known:
                cell = _as_text(value)
        cells.append(cell)
    return cells


def _as_text(value: str) -> str:
    return f'="{value}"' if len(value) <= FORMULA_TEXT_MAX else "'" + value
