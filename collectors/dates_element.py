"""The dates only a date element prints, for ``collectors.dates`` and ``collectors.dates_english``: a day
word with its clock («Сегодня, 14:35», «вчера в 10:30», «Бүгін 14:35», «Кеше, 10:30», «yesterday at 10:30
PM EST»), a day word alone («вчера», «кеше»), «только что», «жаңа ғана», «сейчас», «just now», and the
weekday Facebook prints for a time in the past week («Monday at 10:30 AM», «понедельник в 10:30»,
«дүйсенбі 10:30»; ``dates.parse_relative`` only).

Callers also search free text (a page's lines, a comment's head, an article's first words), where these
words are a sentence's: «Сейчас во дворе нет воды», «Вчера отключили свет, дали только в 23:40»,
«Сегодня в 10:00 совещание в акимате», «Roads closed yesterday at 10:30» are no dates. So a day word with
its clock is read only in a part of the text that a separator (``|``, ``·``, ``—``) or a sentence's end
begins («Сегодня в 14:35 | Иван Петров», «Опубликовано: вчера в 10:30»), or a byline's author: after a
comma («Иван Петров, вчера в 10:30», «By John Smith, Yesterday at 10:30») or written with a capital
after the name («John Smith Today at 12:30», the two elements of a byline read as one text); and that
ends with the text, a separator, a count of views, or what a comment's date is followed by («(edited)»,
«Like Reply», «(изменено)», «Ответить»). Not a listing's teaser whose date runs into its headline
(«Вчера, 18:30 Прорыв трубы на Абая»): its own date element is read. A day word alone, «just now» and a
weekday only as the whole text, with a label at most («Обновлено: сегодня») or after a byline's
separator («Иван Петров · вчера»).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from collectors.dates_clock import AMPM, ZONE, hour24, local_at, zone_of
from collectors.dates_words import DAY_WORDS, JUST_NOW, WEEKDAYS

# The labels a date element may begin with, in the lower case the patterns are matched in (Russian with
# «ё» written «е»): «Updated:», «Обновлено», «Дата публикации:», «Жарияланды:».
_LABELS = (
    r"(?:last\s+)?(?:posted|updated|published|modified|edited|added|created|sent|date)(?:\s+on)?",
    r"(?:последнее\s+)?(?:опубликовано|опубл\.|обновлено|обновлен|обновление|добавлено|изменено|размещено)",
    r"(?:дата|время)(?:\s+(?:публикации|обновления))?",
    r"(?:соңғы\s+)?(?:жарияланды|жарияланған|жаңартылды|жаңартылған|жаңартылу)(?:\s+(?:күні|уақыты))?",
)
LABEL = r"(?:(?:" + "|".join(_LABELS) + r")\s*:?\s*)?"
# ``whole``: the whole text, with a label at most, or a byline's last part after a separator («By John
# Smith | Yesterday», «Politics · yesterday»): where «today», «вчера» and «just now» alone are dates, not
# words of a sentence or a name («Officials said today that», «Kazakhstan Today», «#today», «/today»).
_WHOLE_BEGIN = r"(?:.*[|·•—–]\s*)?[\s(\[]*" + LABEL
_WHOLE_END = r"[\s).\]]*"
# ``part``: the whole text, or a part a separator or a sentence's end («Score 3:05. Yesterday at 10:30
# PM») begins, ended by the text's end, a separator («Yesterday at 10:30 · Edited») or a count of views
# or comments as Russian templates print it after the time («сегодня в 17:04, просмотров: 173»); not a
# dash before a clock: «Сегодня 10:00 – 18:00» are today's hours, not a time of publication.
_BEGIN = r"(?:.*?(?:[|·•—–]|[.!?:]\s))?[\s(\[]*" + LABEL
_COUNT = r"(?:,\s*(?:просмотр|прочтени|комментари|қаралым|пікір|views?|comments?)[^\W\d_]*:?\s*\d[\d\s]*)?"
# What a comment's or a post's date is followed by: «(edited)», «Reply», «Like Reply», «(изменено)»,
# «Нравится Ответить», «Жауап беру».
_TRAILER = (
    r"(?:\s*\(?(?:edited|like|reply|share|изменено|ред\.|нравится|ответить|поделиться|өңделді|ұнайды"
    r"|жауап\s+беру)\)?(?![^\W\d_]))*"
)
_END = r"[\s)\]]*\.?" + _COUNT + _TRAILER + r"(?:\s*(?:[|·•]|[—–](?!\s*\d{1,2}[:.]\d\d)).*)?"
# ``byline``: a ``part``, or a byline's date after its author's name: after a comma («Иван Петров, вчера
# в 10:30», «By John Smith, Yesterday at 10:30»), or after a space where the day word has a capital, as
# the two elements of a byline read as one text print it («John Smith Today at 12:30», «Asel Вчера в
# 10:30»); not a day word a sentence's word stands before («Roads closed yesterday at 10:30»).
# The name is tried last, where the text is no ``part``: «Обновлено сегодня в 12:00» has a label.
_BYLINE_BEGIN = r"(?:.*?(?:[|·•—–]|[.!?:]\s)|(?P<lead>.*?(?:,\s*|[^\W\d_]\s+)))??[\s(\[]*" + LABEL


def whole(form: str) -> str:
    """The pattern ``form`` as a date element's whole text, with a label at most."""
    return _WHOLE_BEGIN + form + _WHOLE_END


def part(form: str) -> str:
    """The pattern ``form`` as a part of a text that a separator or a sentence's end sets apart."""
    return _BEGIN + form + _END


def byline(form: str) -> str:
    """The pattern ``form`` after a byline's name (``_BYLINE_BEGIN``): its day word's capital is checked
    by :func:`by_name`."""
    return _BYLINE_BEGIN + form + _END


def by_name(m: re.Match[str], cased: str) -> bool:
    """Whether a match of a ``byline`` (or ``part``) pattern in ``cased`` lower-cased is a date element's:
    a ``part``, or after a name as bylines print it: after a comma, or with its day word written with
    a capital («John Smith Today at 12:30»)."""
    lead = m.groupdict().get("lead")
    if lead is None or lead.rstrip().endswith(","):
        return True
    return len(cased) == len(m.string) and cased[m.start("day")].isupper()


# A clock, its seconds (not read), a 12-hour word and a zone (``10:30 PM EST``, ``14:35 (мск)``); not a
# day and month without a year: «Сегодня 16.02.» is 16 February, not 16:02.
HOUR_MINUTE = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::\d{2})?(?!\d)(?!(?<=\.\d\d)\.)" + AMPM + ZONE
# What stands between a day and its clock: «вчера в 10:30», «Сегодня, 14:35», «бүгін сағат 14:35».
_JOIN = r"\s*,?\s*(?:(?:at|в|сағат|сағ\.)\s*)?"


def _named(group: str, words: Iterable[str]) -> str:
    """An alternation of ``words``, longest first, as the named group ``group``."""
    return "(?P<" + group + ">" + "|".join(sorted(words, key=len, reverse=True)) + ")"


_DAY = _named("day", DAY_WORDS)
# The day word before its clock, also after a byline's name, or after its clock («10:30 вчера»): tried
# in this order.
_DAY_AND_CLOCK = (
    re.compile(byline(_DAY + _JOIN + HOUR_MINUTE)),
    re.compile(part(HOUR_MINUTE + r"\s*,?\s+" + _DAY)),
)
_DAY_ALONE = re.compile(whole(_DAY))
_JUST_NOW = re.compile(whole("(?:" + "|".join(JUST_NOW) + ")"))
_WEEKDAY = re.compile(whole(_named("weekday", WEEKDAYS) + _JOIN + HOUR_MINUTE))


def at_clock(m: re.Match[str], now: datetime, days_back: int, tz: tzinfo) -> datetime | None:
    """``days_back`` days before ``now`` at the clock of ``m`` (a match of ``HOUR_MINUTE``), both in the
    zone it names («yesterday at 10:30 PM EST» is yesterday in New York), else in ``tz``."""
    zone = zone_of(m["zone"]) or tz
    day = now.astimezone(zone).date() - timedelta(days=days_back)
    return local_at(day, hour24(int(m["hour"]), m["ampm"]), int(m["minute"]), zone)


def day_word(cased: str, now: datetime, tz: tzinfo) -> datetime | None:
    """A Russian or Kazakh day word as a date element prints it: «только что» (``now``, to the minute),
    «вчера в 10:30», «Иван Петров, вчера в 10:30», «10:30, бүгін», «вчера» (at midnight); ``cased`` is
    the text with «ё» written «е» and its spaces single."""
    low = cased.lower()
    if not any(word in low for word in DAY_WORDS) and not any(word in low for word in JUST_NOW):
        return None  # the patterns below try every separator of a long text: not where they cannot match
    local_now = now.astimezone(tz).replace(second=0, microsecond=0)
    if _JUST_NOW.fullmatch(low):
        return local_now
    for pattern in _DAY_AND_CLOCK:
        m = pattern.fullmatch(low)
        if m and by_name(m, cased):
            return at_clock(m, now, DAY_WORDS[m["day"]], tz)
    m = _DAY_ALONE.fullmatch(low)
    if m:
        return local_at(local_now.date() - timedelta(days=DAY_WORDS[m["day"]]), None, None, tz)
    return None


def weekday_at(low: str, now: datetime, tz: tzinfo) -> datetime | None:
    """Facebook's weekday and clock as the whole text («Monday at 10:30 AM», «понедельник в 10:30»,
    «дүйсенбі 10:30»): the latest such weekday before today (today's time Facebook prints as «Today»)."""
    if not any(name in low for name in WEEKDAYS):
        return None
    m = _WEEKDAY.fullmatch(low)
    if m is None:
        return None
    today = now.astimezone(zone_of(m["zone"]) or tz).weekday()
    return at_clock(m, now, (today - WEEKDAYS[m["weekday"]]) % 7 or 7, tz)
