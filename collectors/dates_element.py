"""The dates only a date element prints, for ``collectors.dates`` and ``collectors.dates_english``: a day
word with its clock («Сегодня, 14:35», «вчера в 10:30», «Бүгін 14:35», «Кеше, 10:30», «yesterday at 10:30
PM EST»), a day word alone («вчера», «кеше»), «только что», «жаңа ғана», «сейчас», «just now», and the
weekday Facebook prints for a time in the past week («Monday at 10:30 AM», «понедельник в 10:30»,
«дүйсенбі 10:30»; ``dates.parse_relative`` only).

Callers also search free text (a page's lines, a comment's head, an article's first words), where these
words are a sentence's: «Сейчас во дворе нет воды», «Вчера отключили свет, дали только в 23:40»,
«Сегодня в 10:00 совещание в акимате», «Roads closed yesterday at 10:30» are no dates. So a day word with
its clock is read only in a part of the text that a separator (``|``, ``·``, ``—``, ``/``, a spaced
``-``) or a sentence's end begins («Сегодня в 14:35 | Иван Петров», «Опубликовано: вчера в 10:30»), or a
byline's author: after a comma («Иван Петров, вчера в 10:30»), a short name («Асель вчера в 14:35»), or
any name where the day word has a capital («John Smith Today at 12:30»). A separator may also stand
between the day word and its clock («Вчера | 14:35», «14:35 | Сегодня»). After its clock, what a date
element prints: the text's end, a separator and anything, a count of views or comments («👁 345»,
«Просмотров: 345»), what a comment's date is followed by («(edited)», «Like Reply», «(изменено)»,
«Ответить»), a note of a change («, обновлено в 15:00»), a name or rubric of words with capitals
(«Вчера в 14:35 Асель», «Бүгін 14:35 Қоғам»). Not a listing's teaser whose date runs into its headline
(«Вчера, 18:30 Прорыв трубы на Абая»): its own date element is read. A day word alone as the whole
text, after a label («Обновлено: сегодня»), a separator («Иван Петров · вчера») or a short name and a
comma («Иван Петров, вчера»), followed at most by a comment's buttons, a count, or a separator and a
count or a name («Вчера (изменено)», «вчера | Иван Петров»): not «Звонила вчера». «Just now», «только
что», «сейчас» and a weekday only as the whole text, with a label at most.
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
# Smith | Yesterday», «Politics · yesterday»): where «today» and «just now» alone are dates, not words of
# a sentence or a name («Officials said today that», «Kazakhstan Today», «#today», «/today»).
_WHOLE_BEGIN = r"(?:.*[|·•—–]\s*)?[\s(\[]*" + LABEL
_WHOLE_END = r"[\s).\]]*"
# The separators a date element prints between its parts: «Вчера | 14:35», «Иван Петров / вчера»,
# «Вчера в 14:35 - Общество» (a hyphen between spaces: «Абай-2» is a word).
_SEPARATOR = r"(?:[|·•—–/]|(?<=\s)-(?=\s))"
# ``part``: the whole text, or a part a separator or a sentence's end («Score 3:05. Yesterday at 10:30
# PM») begins, ended by what a date element prints after its date (``_END``).
_BEGIN = r"(?:.*?(?:" + _SEPARATOR + r"|[.!?:]\s))?[\s(\[]*" + LABEL
# A count of views or comments as templates print it after the date, with its icon or word: «👁 345»,
# «💬 3», «, просмотров: 173», «Просмотров: 345», «3 комментария», «Комментарии (3)», «, 1 234
# просмотра» (a number's thousands apart, so that a run of numbers is read one way only).
_COUNT_WORD = r"(?:просмотр|прочтени|комментари|қаралым|пікір|views?|comments?)[^\W\d_]*"
_NUMBER = r"\d+(?:\s\d{3})*"
# Its icon: no separator, bracket or punctuation a date or range is written with («Сегодня 10:00 –
# 18:00»); a number alone is no count («February 29, 2025» holds a year).
_ICON = r"[^\w\s:.,|·•/()\[\]\-–—]{1,3}"
_COUNT = (
    rf"(?:\s*,?\s*(?:{_ICON}\s*{_NUMBER}|{_COUNT_WORD}\s*[:(]?\s*{_NUMBER}\)?|{_NUMBER}\s*{_COUNT_WORD}))"
)
_COUNTS = _COUNT + "{0,3}"
# What a comment's or a post's date is followed by: «(edited)», «Reply», «Like Reply», «(изменено)»,
# «(изм.)», «Нравится Ответить», «Жауап беру».
_TRAILER = (
    r"(?:\s*\(?(?:edited|like|reply|share|изменено|изм\.|ред\.|нравится|ответить|поделиться|өңделді"
    r"|ұнайды|жауап\s+беру)\)?(?![^\W\d_]))*"
)
# A note of the date's change after it: «, обновлено в 15:00», «Updated 3:05 PM».
_NOTE = (
    r"(?:\s*,?\s*(?:обновлено|обновлен|изменено|жаңартылды|updated|edited)\s*:?\s*(?:(?:в|at)\s*)?"
    r"[\d\s.:,]*(?:[ap]\.?m\.?)?)"
)
# A name or a rubric after the date, each word with a capital (checked by ``by_name``): «Вчера в 14:35
# Асель», «сегодня в 14:35 Иван Петров», «Бүгін 14:35 Қоғам»; not a headline («Прорыв трубы на Абая»).
_TAIL = r"(?P<tail>[^\W\d_]+(?:[\s.:]+[^\W\d_]+){0,2})"
# What may close a date element: an arrow or quote a link to the article prints («Сегодня 14:35 »»).
_CLOSE = r"(?:\s*[»›▸►→>…]+)?\s*"
# What is not a dash before a clock: «Сегодня 10:00 – 18:00» are today's hours, not a time of
# publication.
_NO_RANGE = r"(?!\s*\d{1,2}[:.]\d\d)"
_END = (
    r"[\s)\]]*\.?" + _COUNTS + _TRAILER + _COUNTS + _NOTE + "?"
    r"(?:\s*" + _SEPARATOR + _NO_RANGE + r".*|(?:,\s*|\s+)" + _TAIL + _TRAILER + ")?" + _CLOSE
)
# After a day word alone, a separator only before a count, a trailer or a name: «вчера | 345», «вчера ·
# Edited», «вчера | Иван Петров»; not «Сегодня — день города».
_AFTER_ALONE = rf"\s*{_SEPARATOR}\s*(?:{_COUNT}|{_NUMBER}|{_TAIL})?{_COUNTS}{_TRAILER}"
_ALONE_END = r"[\s)\]]*\.?" + _COUNTS + _TRAILER + _COUNTS + "(?:" + _AFTER_ALONE + ")?" + _CLOSE
# ``byline``: a ``part``, or a byline's date after its author's name (``by_name``): after a comma
# («Иван Петров, вчера в 10:30», «By John Smith, Yesterday at 10:30»), or after a space where the day
# word has a capital («John Smith Today at 12:30», the two elements of a byline read as one text) or
# the name is a short one («Асель вчера в 14:35», «Ответ от Асель вчера в 14:35»); not a day word a
# sentence's word stands before («Roads closed yesterday at 10:30»). The name is tried last, where the
# text is no ``part``: «Обновлено сегодня в 12:00» has a label.
_BYLINE_BEGIN = r"(?:.*?(?:" + _SEPARATOR + r"|[.!?:]\s)|(?P<lead>.*?(?:,\s*|[^\W\d_]\s+)))??[\s(\[]*" + LABEL
# ``alone``: a day word alone, as the whole text, after a separator or a label («Иван Петров · вчера»,
# «Обновлено: сегодня»), or after a short name and a comma or before a capital («Иван Петров, вчера»,
# «Asel Вчера»); not after a sentence's end, nor a lowercase day word after a word: «Звонила вчера» is a
# sentence.
_ALONE_BEGIN = r"(?:.*?" + _SEPARATOR + r"|(?P<lead>.*?(?:,\s*|[^\W\d_]\s+)))??[\s(\[]*" + LABEL
# A short byline's words, before a day word: a name («Асель», «Иван Петров», «By John Smith») and the
# words a comment's head or byline prints with it.
_NAME_WORDS = frozenset({"от", "by", "from", "автор:", "автор", "ответ", "reply"})
_SHORT_NAME = 4


def whole(form: str) -> str:
    """The pattern ``form`` as a date element's whole text, with a label at most."""
    return _WHOLE_BEGIN + form + _WHOLE_END


def part(form: str) -> str:
    """The pattern ``form`` as a part of a text that a separator or a sentence's end sets apart."""
    return _BEGIN + form + _END


def byline(form: str) -> str:
    """The pattern ``form`` after a byline's name (``_BYLINE_BEGIN``), checked by :func:`by_name`."""
    return _BYLINE_BEGIN + form + _END


def alone(form: str) -> str:
    """The pattern ``form``, a day word without a clock, as a date element prints it (``_ALONE_BEGIN``,
    ``_ALONE_END``), checked by :func:`by_name`."""
    return _ALONE_BEGIN + form + _ALONE_END


def _short_name(words: list[str]) -> bool:
    """Whether ``words`` are a short byline's: a name's, each with a capital, and its small words."""
    return 0 < len(words) <= _SHORT_NAME and all(w[0].isupper() or w.lower() in _NAME_WORDS for w in words)


def by_name(m: re.Match[str], cased: str, *, alone: bool = False) -> bool:
    """Whether a match of a ``byline``, ``part`` or ``alone`` pattern in ``cased`` lower-cased is a date
    element's: its name after the date (``_TAIL``) with capitals, and before it a ``part``'s separator,
    or a name as bylines print it: after a comma (a short name only before a day word ``alone``), or
    a short name (``_short_name``), or any words where the day word has a capital («John Smith Today
    at 12:30»)."""
    same = len(cased) == len(m.string)  # lower() made a letter two: positions differ
    groups = m.groupdict()
    tail = groups.get("tail")
    if tail is not None and not (
        same and _short_name(re.split(r"[\s.:]+", cased[m.start("tail") : m.end("tail")]))
    ):
        return False
    lead = groups.get("lead")
    if lead is None:
        return True
    name = cased[m.start("lead") : m.end("lead")].rstrip(", ").split() if same else []
    if alone:  # «Иван Петров, вчера», «Asel Вчера»; not «Звонила вчера»
        return _short_name(name) and (lead.rstrip().endswith(",") or cased[m.start("day")].isupper())
    if lead.rstrip().endswith(","):
        return True
    return same and (cased[m.start("day")].isupper() or _short_name(name))


# A clock, its seconds (not read), a 12-hour word and a zone (``10:30 PM EST``, ``14:35 (мск)``); not a
# day and month without a year: «Сегодня 16.02.» is 16 February, not 16:02.
HOUR_MINUTE = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::\d{2})?(?!\d)(?!(?<=\.\d\d)\.)" + AMPM + ZONE
# What stands between a day and its clock: «вчера в 10:30», «Сегодня, 14:35», «бүгін сағат 14:35».
_JOIN = r"(?:\s*(?:,|" + _SEPARATOR + r")\s*|\s*)(?:(?:at|в|сағат|сағ\.)\s*)?"


def _named(group: str, words: Iterable[str]) -> str:
    """An alternation of ``words``, longest first, as the named group ``group``."""
    return "(?P<" + group + ">" + "|".join(sorted(words, key=len, reverse=True)) + ")"


_DAY = _named("day", DAY_WORDS)
# The day word before its clock, also after a byline's name, or after its clock («10:30 вчера»): tried
# in this order.
_DAY_AND_CLOCK = (
    re.compile(byline(_DAY + _JOIN + HOUR_MINUTE)),
    re.compile(byline(HOUR_MINUTE + r"(?:\s*(?:,|" + _SEPARATOR + r")\s*|\s+)" + _DAY)),
)
_DAY_ALONE = re.compile(alone(_DAY))
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
    if m and by_name(m, cased, alone=True):
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
