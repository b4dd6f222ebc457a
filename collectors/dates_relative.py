"""Relative dates, counted back from the fetch time ``now``, for ``collectors.dates`` (its
``parse_relative`` and ``parse_date`` read them with :func:`russian_kazakh` and :func:`english`).

Russian and Kazakh: ``сегодня в 10:15``, ``вчера``, ``позавчера``, ``6 лет назад``, ``пару минут
назад``, ``только что``, ``бүгін 10:15``, ``кеше``, ``3 сағат бұрын``, ``жаңа ғана`` (``сейчас`` only as
the whole text: in a sentence it is no date); a span back past the calendar («3000 лет назад» in an
article) is no date. The number may be a word («три часа назад», «двадцать пять минут назад»,
«полтора часа назад», «үш сағат бұрын», «жиырма бес минут бұрын», «уш сагат бурын») and a Kazakh unit
abbreviated («2 сағ. бұрын», «15 мин бұрын»), and a count decimal («1,5 часа назад»); a count not
understood («несколько часов назад», «бірнеше сағат бұрын», «сто пять лет назад») leaves the date unread,
never one unit back; a unit alone («час назад», «сутки назад», «сағат бұрын») is one, and so is one after
«около», «более»… («около часа назад»); «несколько секунд назад» and «меньше минуты назад» are now. A
«today» clock more than ``TODAY_SLACK`` (3 h) ahead of ``now`` is yesterday's («Сегодня в 23:55»
read at 00:30). A day word's clock may be spelled ``14 ч. 35 мин.`` and be Moscow time (``вчера в
14:35 мск``); of two day words («вчера в 14:35, обновлено сегодня в 10:00») the first with its own clock
is read.

English, as English-language templates and Facebook exports print it, read only where no Russian or
Kazakh form is: ``3 hours ago``, ``an hour ago``, ``yesterday at 10:30``, ``just now``, ``a few
seconds ago`` (now); and narrowly, since callers also search free text: ``today``/``yesterday`` only
beside a clock or at the end. The words are in ``collectors.dates_words``; the clock, zone and
calendar pieces are those absolute dates are read with, in ``collectors.dates``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

from collectors.dates import _AMPM, _hour24, _local, _zone, shift
from collectors.dates_words import (
    DAY_WORDS,
    EN_DAY_WORDS,
    EN_UNITS,
    JUST_NOW,
    KK_ABBREVIATIONS,
    KK_AND_A_HALF,
    KK_HALF,
    KK_LARGE,
    KK_ONES,
    KK_TENS,
    KK_UNITS,
    NOW_ALONE,
    RU_ABBREVIATIONS,
    RU_APPROXIMATE,
    RU_DOTTED,
    RU_LARGE,
    RU_LESS_THAN,
    RU_ONE_AND_A_HALF,
    RU_ONES,
    RU_TEENS,
    RU_TENS,
    RU_UNITS,
    VAGUE_COUNTS,
    WHOLE_WORD_UNITS,
    WORD_ONE,
    kk_number_key,
)

# «Сегодня в 23:55» read at 00:30 was said yesterday (the page was made before midnight, or on a clock
# whose day ends earlier, as Moscow's): a «today» clock more than this ahead of ``now`` is yesterday's.
# Up to this much ahead it is today's: a site on a clock ahead of Almaty's (UTC+6, as Kazakh sites
# printed before 2024-03-01, and Bishkek, Omsk; UTC+7 Novosibirsk; a site's clock a little fast). The
# ``now`` collectors pass is when the page came (collectors.http Response.fetched_at).
TODAY_SLACK = timedelta(hours=3)
# Half a unit, in a smaller one: «полчаса», «полтора часа», «полгода», «жарты сағат».
_HALF = {
    "seconds": ("seconds", 0),
    "minutes": ("seconds", 30),
    "hours": ("minutes", 30),
    "days": ("hours", 12),
    "weeks": ("hours", 84),
    "months": ("days", 15),
    "years": ("months", 6),
}
# What the words before a unit count when they spell a count that cannot be read («несколько часов»),
# and when they say about now («несколько секунд», «меньше минуты»: no time back).
_UNREAD = (-1, False)
_ABOUT_NOW = (0, False)

# The clock of a relative date, with Moscow time after it as after an absolute date («вчера в 14:35
# мск», «(MSK)»; other zones there are not read), and the same clock spelled with spaces or unit letters
# («14 :35», «14ч 35м», «14 ч. 35 мин.»), read only where no clock of the usual form is.
_MOSCOW = r"(?:\s*\(?(?P<zone>мск|msk)(?![^\W\d_])\)?)?"
_CLOCK = re.compile(r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?!\d)" + _AMPM + _MOSCOW)
_CLOCK_SPELLED = re.compile(
    r"(?<![\d.:])(?P<hour>\d{1,2})"
    r"(?:(?:\s+:\s*|:\s+)(?P<minute>\d{2})(?!\d)|\s?ч\.?\s?(?P<minute_unit>\d{2})\s?м(?:ин)?\.?(?![^\W\d_]))"
    + _AMPM
    + _MOSCOW
)
# A day word's own clock, right after it: «вчера в 14:35», «Кеше, 14:35», «бүгін сағ. 10:15».
_OWN_CLOCK_LEAD = re.compile(r"[\s,|/·•—–-]*(?:(?:в|сағат|сағ\.?)\s*)?(?=\d)")
# The day words, as words: «вчера» in «позавчера» is none.
_DAY_WORD = re.compile(r"(?<![а-яёәіңғүұқөһa-z])(" + "|".join(DAY_WORDS) + r")(?![а-яёәіңғүұқөһa-z])")

# A number and a word start where no digit or letter stands before them: without that, a search over
# a long run of digits or letters tried every position in it against the whole run, and a page's
# «1111…» of 100,000 characters took minutes.
# A unit may be abbreviated with a dot («2 ч. назад», «2 сағ. бұрын», «15 мин.бұрын»); after a whole
# word a dot ends a sentence («Прошло 3 года. Назад…», «Мерзімі 3 жыл. Бұрын…»: no date). A number may
# have a decimal part («1,5 часа назад»: an hour and a half; its «5» alone was read, 5 hours).
_NUMBER = r"(?<![\d.,])(\d+(?:[.,]\d+)?)"
_RU_AGO = re.compile(
    r"(?:" + _NUMBER + r"|(?<![а-яё])(пол)?|(?<![а-яё])(пару)\s+)\s*"
    r"(?:(" + "|".join(RU_DOTTED) + r")\.\s*|([а-яё]+)\s+)назад"
)
_KK_AGO = re.compile(
    r"(?:" + _NUMBER + r"\s*)?(?<![а-яёәіңғүұқөһ])"
    r"(?:(" + "|".join(KK_ABBREVIATIONS) + r")\.\s*|([а-яёәіңғүұқөһ]+)\s+)(?:бұрын|бурын|алдын)"
)
# English («3 hours ago», «an hour ago», «5 mins ago»), read only where no Russian or Kazakh form is.
_EN_AGO = re.compile(
    r"(?:(?<![\d.,])(\d+(?:\.\d+)?)\s*|(?<![^\W\d_])(?:an?|one)\s+)("
    + "|".join(EN_UNITS)
    + r")s?\.?\s+ago(?![^\W\d_])"
)
# What date libraries print for a moment ago (moment.js and Day.js «a few seconds ago», date-fns «less than
# a minute ago») is now, as «несколько секунд назад» is; «a few minutes ago» stays unread, as «несколько
# минут назад» does.
_EN_ABOUT_NOW = re.compile(
    r"(?<![^\W\d_])(?:(?:a\s+)?few\s+seconds|less\s+than\s+a\s+minute)\s+ago(?![^\W\d_])"
)
# «Today», «yesterday» and «just now» are words of English sentences and names too («Officials said
# today that», «Kazakhstan Today», «#today», a link's «/today»): a date only beside a clock
# («yesterday at 10:30», «10:30 yesterday»; that clock is the one read), or as the whole text with a
# label at most («Updated yesterday», «Posted: just now»), or a byline's last part after a separator
# («By John Smith | Yesterday», «Politics · yesterday»).
_EN_LABEL = r"(?:(?:last\s+)?(?:posted|updated|published|edited|added|created|sent|date)(?:\s+on)?\s*:?\s*)?"
_EN_DAY_NAMED = "(?P<day>" + "|".join(EN_DAY_WORDS) + ")"
_EN_HOUR_MINUTE = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?!\d)" + _AMPM
# The day word before its clock, or after it («10:30 yesterday»): tried in this order.
_EN_DAY_AND_CLOCK = (
    re.compile(r"(?<![\w/#-])" + _EN_DAY_NAMED + r"\s*(?:,|at)?\s*" + _EN_HOUR_MINUTE),
    re.compile(r"(?<![\d:.])" + _EN_HOUR_MINUTE + r"\s+" + _EN_DAY_NAMED + r"(?![\w-])"),
)
_EN_WHOLE = r"(?:.*[|·•—–]\s*)?[\s(\[]*" + _EN_LABEL + "{}" + r"[\s).\]]*"
_EN_DAY_ALONE = re.compile(_EN_WHOLE.format(_EN_DAY_NAMED))
_EN_JUST_NOW = re.compile(_EN_WHOLE.format("just now"))
# «только что» as words («только чтобы приехать» is no date), wherever it stands
_JUST_NOW = re.compile(r"(?<![\w])(?:" + "|".join(JUST_NOW) + r")(?![\w])")


def russian_kazakh(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """A Russian or Kazakh relative date in ``text``, counted back from ``now``; None if there is none."""
    low = " ".join(text.lower().replace("ё", "е").split())
    local_now = now.astimezone(tz).replace(second=0, microsecond=0)  # "5 минут назад" is minute-precise
    if _JUST_NOW.search(low) or low.strip(" .,:;!|·•—–-") in NOW_ALONE:
        return local_now
    days = list(_DAY_WORD.finditer(low))
    if len(days) > 1 and (own := _own_clock(low, days[0].end())):
        # «Вчера в 14:35, обновлено сегодня в 10:00»: the first day word with its own clock is the
        # publication; another day word's clock is an update's
        return _day_at(own, local_now, DAY_WORDS[days[0][1]], tz)
    if days:
        found = {m[1] for m in days}
        word = next(word for word in DAY_WORDS if word in found)  # «сегодня» before «вчера», as ever
        # a spelled clock only as the day word's own («Вчера · Видео 1 ч 30 мин» is a length, not a time)
        first = next(m for m in days if m[1] == word)
        own = _own_clock(low, first.end())
        return _day_at(_CLOCK.search(low) or own, local_now, DAY_WORDS[word], tz)
    m = _RU_AGO.search(low)
    if m:
        number, half, couple, abbreviation, word = m.groups()
        word = abbreviation or word
        unit = _unit(word, RU_UNITS)
        if unit is None and word in WORD_ONE:
            unit, _ = WORD_ONE[word]
        if unit:
            if half:
                return _back(local_now, unit, 0, half=True)
            if number or couple:
                return _back(local_now, unit, number or 2)  # «пару минут назад»: a couple is two
            count = _count_before(low[: m.start(4 if abbreviation else 5)], unit, kazakh=False)
            # no number: one unit where the unit's form says so («час», «минуту», «ч.»); «часа» and
            # «минут» stand after a number, one not read («много часов назад») or cut off
            if count is None and (word in WORD_ONE or word in RU_ABBREVIATIONS):
                count = (1, False)
            return None if count is None or count == _UNREAD else _back(local_now, unit, *count)
    m = _KK_AGO.search(low)
    if m:
        number, abbreviation, word = m.groups()
        unit = _unit(abbreviation or word, KK_UNITS)
        if unit:
            if number:
                return _back(local_now, unit, number)
            # Kazakh puts a unit in one form after any number: without a number word it is one unit
            count = _count_before(low[: m.start(2 if abbreviation else 3)], unit, kazakh=True) or (1, False)
            return None if count == _UNREAD else _back(local_now, unit, *count)
    return None


def english(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """An English relative date in ``text``: "just now", "yesterday at 10:30 PM", "3 hours ago", "an hour ago"."""
    low = " ".join(text.lower().split())
    local_now = now.astimezone(tz).replace(second=0, microsecond=0)
    if _EN_JUST_NOW.fullmatch(low):
        return local_now
    for pattern in _EN_DAY_AND_CLOCK:
        m = pattern.search(low)
        if m:
            return _on_day(
                EN_DAY_WORDS[m["day"]], local_now, _hour24(int(m["hour"]), m["ampm"]), int(m["minute"]), tz
            )
    m = _EN_DAY_ALONE.fullmatch(low)
    if m:
        return _local(local_now.date() - timedelta(days=EN_DAY_WORDS[m["day"]]), None, None, tz)
    if _EN_ABOUT_NOW.search(low):  # before «a minute ago», which «less than a minute ago» ends with
        return local_now
    m = _EN_AGO.search(low)
    if m:
        return _back(local_now, EN_UNITS[m.group(2)], m.group(1))
    return None


def _own_clock(low: str, end: int) -> re.Match[str] | None:
    """The clock that follows a day word ending at ``end`` of ``low``, if one does."""
    lead = _OWN_CLOCK_LEAD.match(low, end)
    if lead is None:
        return None
    return _CLOCK.match(low, lead.end()) or _CLOCK_SPELLED.match(low, lead.end())


def _day_at(clock: re.Match[str] | None, local_now: datetime, days_back: int, tz: tzinfo) -> datetime | None:
    """``days_back`` days before ``local_now``, at the time of ``clock`` (in Moscow time if it says so),
    else at midnight."""
    if clock is None:
        return _local(local_now.date() - timedelta(days=days_back), None, None, tz)
    zone = _zone(clock["zone"]) or tz
    minute = clock.groupdict().get("minute") or clock.groupdict().get("minute_unit")
    return _on_day(days_back, local_now, _hour24(int(clock["hour"]), clock["ampm"]), int(minute), zone)


def _on_day(days_back: int, local_now: datetime, hour: int, minute: int, zone: tzinfo) -> datetime | None:
    """``days_back`` days before ``local_now``'s day in ``zone`` («сегодня» in Moscow is Moscow's), at
    ``hour``:``minute``; a «today» more than ``TODAY_SLACK`` ahead of ``local_now`` is yesterday's."""
    day: date = local_now.astimezone(zone).date() - timedelta(days=days_back)
    found = _local(day, hour, minute, zone)
    if days_back == 0 and found is not None and found > local_now + TODAY_SLACK:
        return _local(day - timedelta(days=1), hour, minute, zone)
    return found


def _count_before(before: str, unit: str, kazakh: bool) -> tuple[int, bool] | None:
    """The count that the number words at the end of ``before`` (the text before a ``unit``) spell, as whole
    units and whether a half follows («три» (3, False), «полтора» (1, True), «жиырма бес» (25, False),
    «жарты» (0, True)); ``_UNREAD`` where they spell a count that cannot be read («несколько часов»,
    «сто пять лет»), ``_ABOUT_NOW`` where they say no time back («несколько секунд», «меньше минуты»), one
    after a word that puts a unit without its number («около часа»), None where no number word stands
    there."""
    words = [word.strip("()[]«»\"',.:;!?·•|—–-") for word in before.rsplit(None, 3)[-3:]]
    keys = [kk_number_key(word) for word in words] if kazakh else words
    if not keys:
        return None
    if keys[-1] in VAGUE_COUNTS or kk_number_key(keys[-1]) in VAGUE_COUNTS:
        return _ABOUT_NOW if unit == "seconds" else _UNREAD
    if not kazakh and keys[-1] in RU_APPROXIMATE:
        less = keys[-1] in RU_LESS_THAN and unit in {"seconds", "minutes"}
        return _ABOUT_NOW if less or unit == "seconds" else (1, False)
    if kazakh and keys[-1] == KK_HALF:
        return 0, True
    if not kazakh and keys[-1] in RU_ONE_AND_A_HALF:
        return 1, True
    half = kazakh and keys[-1] == KK_AND_A_HALF  # «бір жарым»: one and a half
    if half:
        keys.pop()
    ones, tens, teens, large = (
        (KK_ONES, KK_TENS, {}, KK_LARGE) if kazakh else (RU_ONES, RU_TENS, RU_TEENS, RU_LARGE)
    )
    last = keys[-1] if keys else ""
    previous = keys[-2] if len(keys) > 1 else ""
    if last in ones:
        count, rest = ones[last] + tens.get(previous, 0), keys[: -2 if previous in tens else -1]
    elif last in tens or last in teens:
        count, rest = tens.get(last) or teens[last], keys[:-1]
    else:
        return _UNREAD if half or last in large else None
    # «сто пять», «екі мың бес»: a count of hundreds or thousands is not read
    return _UNREAD if rest and rest[-1] in large else (count, half)


def _back(moment: datetime, unit: str, number: str | int | None, half: bool = False) -> datetime | None:
    """``moment`` minus ``number`` (default 1; a decimal «1,5» too) units, and half a unit more with
    ``half``; None when that leaves the calendar: «3000 лет назад» in an article's text is no publication
    time, and must not fail the page."""
    whole, _, fraction = str(1 if number is None else number).replace(",", ".").partition(".")
    try:
        back = shift(moment, unit, int(whole))
        if fraction:  # in the smaller unit a half is counted in: «1,5 часа» is 1 h 30 min
            smaller, in_half = _HALF[unit]
            back = shift(back, smaller, round(float("0." + fraction) * 2 * in_half))
        return shift(back, *_HALF[unit]) if half else back
    except (OverflowError, ValueError):  # before year 1, a timedelta too large, more than 4,300 digits
        return None


def _unit(word: str, table: dict[str, str]) -> str | None:
    best = None
    for stem, unit in table.items():
        if word.startswith(stem) and (best is None or len(stem) > len(best[0])):
            best = (stem, unit)
    # "ч", "г", "сағ" only as whole abbreviations, not as a prefix of any word
    if best and best[0] in WHOLE_WORD_UNITS and word != best[0]:
        return None
    return best[1] if best else None
