"""Phone numbers in texts, replaced by the ``[phone]`` placeholder (``classify.normalise.mask``).

Kazakhstan and Russia numbers: a lead (``+7``, ``+ 7``, the full-width ``＋7``, the trunk prefix ``8``
or a bare ``7``) and ten digits: an area code of three, four or five digits, in brackets or not
(``8 (701) 234-56-78``, ``8 (7172) 55-66-77``, ``8 (72131) 5-66-77``), then the rest in the usual
groups; toll-free ``8 800`` numbers are phones too. Other international numbers: ``+`` and a country
code, then groups. Between groups any space (no-break, thin, narrow...), a hyphen, a dash (the
non-breaking hyphen U+2011, en and em dashes, the minus sign) or a dot: texts are masked before
``normalise`` collapses their spaces, and the training export calls ``mask`` on the raw text.
Years, sums (``1 200 000 тенге``), dates (``12.05.2024``), ranges (``2023-2024``), card numbers and
IINs have no lead followed by these groups and stay.
"""

from __future__ import annotations

import re

PHONE_MASK = "[phone]"

# What may stand between the groups of a number: spaces of every width (not a newline), hyphens,
# dashes, the minus sign, a dot.
_SEP_CHARS = "\\t \u00a0\u2000-\u200a\u202f\u205f\u3000\\-.\u2010-\u2015\u2212"
_S = f"[{_SEP_CHARS}]*"
_PLUS = "[+\uff0b]"  # the plus sign and the full-width one (East Asian keyboards, some phones)
_LEAD = f"(?:{_PLUS}[ \u00a0\u202f]?7|8|7)"  # «+7», «+ 7», «＋7», «8», «7»


def _area(digits: int) -> str:
    return rf"(?:\({_S}\d{{{digits}}}{_S}\)|\d{{{digits}}})"


_PHONE = re.compile(
    rf"(?<![\w+\uff0b]){_LEAD}{_S}"
    rf"(?:{_area(3)}{_S}\d{{3}}{_S}\d{{2}}{_S}\d{{2}}"  # 8 (701) 234-56-78, 8 701 2345678
    rf"|{_area(4)}{_S}(?:\d{{2}}{_S}\d{{2}}{_S}\d{{2}}|\d{{3}}{_S}\d{{3}})"  # 8 (7172) 55-66-77
    rf"|{_area(5)}{_S}(?:\d{_S}\d{{2}}{_S}\d{{2}}|\d{{3}}{_S}\d{{2}}|\d{{2}}{_S}\d{{3}}))"  # 8 (72131) 5-66-77
    r"(?!\d)"
    rf"|(?<![\w+\uff0b]){_PLUS}[ \u00a0\u202f]?\d{{1,3}}{_S}\(?\d{{2,4}}\)?(?:{_S}\d{{2,4}}){{2,4}}(?!\d)"
)
# Cheap pre-checks: the full pattern runs only where these hit (most texts hold no phone number).
# A run of digits, separators and brackets from a digit or a plus (maybe one space after it).
_CANDIDATE = re.compile(rf"(?:{_PLUS}[ \u00a0\u202f]?)?\d[\d(){_SEP_CHARS}]{{8,}}\d")
# Matches wherever a candidate matches (and a little more); a leading character class scans fast.
_PREFILTER = re.compile(rf"[\d+\uff0b][\d(){_SEP_CHARS}]{{8,}}\d")


def mask_phones(text: str) -> str:
    """The text with each phone number replaced by ``[phone]``."""
    hit = _PREFILTER.search(text)
    return text if hit is None else _mask_runs(text, hit)


def _mask_runs(text: str, hit: re.Match[str] | None) -> str:
    """``_CANDIDATE.sub(_mask_run, text)``, trying candidates only where the prefilter hits.

    A candidate matches only where the prefilter matches too, so the positions skipped are exactly
    those where ``sub`` would have failed: the result is the same, without ``sub`` trying every one.
    """
    parts: list[str] = []
    last = 0
    while hit is not None:
        found = _CANDIDATE.match(text, hit.start())
        if found is None:
            hit = _PREFILTER.search(text, hit.start() + 1)
            continue
        parts.append(text[last : found.start()])
        parts.append(_PHONE.sub(PHONE_MASK, found.group(0)))
        last = found.end()
        hit = _PREFILTER.search(text, last)
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)
