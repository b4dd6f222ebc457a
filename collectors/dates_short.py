"""The short spans Facebook prints as a post's or a comment's time, for ``collectors.dates``: ``3h``,
``2d``, ``1w``, ``5m``, ``3 hrs``, ``2 mins``; ``3 ч.``, ``5 мин.``, ``2 дн.``, ``1 нед.``; ``3 сағ.``,
``2 күн``, ``1 апта`` (``Just now``, ``только что``, ``жаңа ғана`` are read by the other forms).

Read only as the whole text, as the link or ``<abbr>``/``<time>`` element that holds the time carries it
(brackets and a final dot at most): «2d» or «5m» in a post, «Reading time · 5m», «10 мин» in a recipe's
sentence are no dates. And only by ``dates.parse_relative``, whose caller knows the text is a timestamp
(a Facebook export's date cell, reported as relative): ``parse_date`` does not read them, since on a
portal's page a date element's whole text «3 мин», «5 min» or «2 hours» is a reading time or a video's
length, and a line «1 апта» no date.
"""

from __future__ import annotations

import re
from datetime import datetime

from collectors.dates_clock import back
from collectors.dates_words import SHORT_UNITS

# A number, then its unit, with no space for a single Latin letter («3h»; «5 m» may be five metres).
_SHORT = re.compile(r"[\s(\[]*(?P<number>\d+)(?P<space>\s?)(?P<unit>[^\W\d_]+)\.?[\s)\]]*")


def short_span(low: str, local_now: datetime) -> datetime | None:
    """``local_now`` minus the short span ``low`` (lower case) is, if it is one and nothing else."""
    m = _SHORT.fullmatch(low)
    if m is None:
        return None
    unit = SHORT_UNITS.get(m["unit"])
    if unit is None or (m["space"] and len(m["unit"]) == 1 and m["unit"].isascii()):
        return None
    return back(local_now, unit, m["number"])
