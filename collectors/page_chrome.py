"""What of an article page's text is the site's and not the article's: the headline, date lines,
bylines, counters, copyright lines, credit lines («Источник: …», «Видео: …»), calls to watch a video,
and the text of its links, menus, breadcrumbs, share buttons and footers (:func:`no_article_text`,
which tells a page without an article; of these only counters are also dropped from an article's text,
:func:`without_counters`); and the small text helpers the extractors share (:func:`clean`,
:func:`byline`, :func:`date_line`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import lxml.html

from collectors.dates import is_date_word, parse_date


def clean(text: str | None) -> str:
    """``text`` with its whitespace runs made single spaces, trimmed."""
    return " ".join((text or "").split())


_BYLINE_PREFIX = re.compile(r"^(автор\w*|материал подготовил\w*|текст|by|von|par)\s*:?\s+", re.IGNORECASE)


def byline(value: str | None) -> str:
    """A byline without its "Автор:"/"By" prefix."""
    return _BYLINE_PREFIX.sub("", clean(value)).strip(" ,;")


# A site's chrome, which holds no article: menus, breadcrumbs, share buttons, footers, lists of
# related articles. Not a block named "header" (templates put an article's lead in it; only a <header>
# element of the site's banner is: :func:`_banner`), nor a "sidebar" or "widget" (page builders wrap the
# article in "elementor-widget-…" blocks).
_CHROME_NAME = re.compile(
    r"(^|[\s_-])(menu|nav|navbar|navigation|breadcrumbs?|share|sharing|social|footer|copyright|related)"
    r"([\s_-]|$)",
    re.IGNORECASE,
)
# A list of an article's tags, chrome only when mostly links: a template names its text block "with-tags".
_TAGS_NAME = re.compile(r"(^|[\s_-])tags([\s_-]|$)", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]")
CHROME_TEXT = 300  # characters of a line past which it is no menu's, unless it is a link's text
CHROME_LINE = 120  # characters of a block named as chrome that holds no paragraph and few links
_LETTERS_WORD = re.compile(r"[^\W\d_]+")
# A copyright line: it starts with the sign or the word, or a short line ends with the formula (not
# «Зейнеткерлердің барлық құқықтары заңмен қорғалған», a sentence of news).
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b)|^.{0,80}(?:все права защищены|барлық құқықтар қорғалған|all rights reserved)\.?$",
    re.IGNORECASE,
)
_SEPARATORS = " /»|>›·•-–—:"  # around the pieces of breadcrumbs and labels («/ Общество», «Поделиться:»)
_BYLINE = re.compile(r"(автор\w*|by)\s*:\s*\S+(\s+\S+){0,4}$", re.IGNORECASE)  # "Автор: Имя Фамилия"


def no_article_text(
    text: str, tree: lxml.html.HtmlElement, title: str | None, author: str | None, now: datetime
) -> bool:
    """Whether ``text`` holds no article: every line of it is the page's headline, a date, a byline, a
    counter or a copyright line, or is word for word the text of one of the site's links, menus, share
    buttons or footers, with fewer than two words of anything else. That is what the extractors' last
    fallback takes from a page without an article (a video, a gallery, a text its scripts bring). A
    line that only holds such words among others is the article's (a short news item keeps its text):
    when in doubt the text is kept."""
    lines = [line for raw in text.split("\n") if (line := clean(raw))]
    links = {clean(a.text_content()) for a in tree.iter("a")}
    # First a line longer than a menu's that is no link's text: the article's own, found without
    # reading the rest (most pages).
    if any(len(line) > CHROME_TEXT and line not in links for line in lines):
        return False
    heads = {clean(h.text_content()) for h in tree.iter("h1")} | {title or ""}
    title_el = tree.find(".//title")
    if title_el is not None:
        heads.add(clean(title_el.text_content()))
    chrome: set[str] | None = None
    words = 0
    for line in lines:
        if not _LETTERS.search(line) or line in heads or line in links or _furniture(line, author, now):
            continue
        if chrome is None:  # read once, and only for a line the rules above leave
            # each element's text, and each loose piece of text, that the site's chrome holds
            blocks = list(_chrome(tree))
            chrome = {clean(el.text_content()) for block in blocks for el in block.iter("*")}
            chrome |= {clean(piece).strip(_SEPARATORS) for block in blocks for piece in block.itertext()}
        if line in chrome or line.strip(_SEPARATORS) in chrome:
            continue
        words += len(_LETTERS_WORD.findall(line))
        if words >= 2:
            return False
    return True


# A counter: a label and a number («Просмотров: 1 234», «Қаралым: 5 678», «Views: 12»), or a number and
# its word («345 просмотров»). It is never an article's text.
_COUNTED = r"(?:просмотр\w*|views?|қаралым\w*|қаралды|көрілім\w*|комментари\w*|пікір\w*|comments?)"
_NUMBER = r"\(?\d[\d\s.,]*[kкmм]?\)?"
_COUNTER = re.compile(rf"^(?:{_COUNTED}\s*:?\s*{_NUMBER}|{_NUMBER}\s*{_COUNTED})$", re.IGNORECASE)
# A credit line: where the article, its video or photo come from, a label, a colon and whom it names:
# a name of one or two words («Источник: Tengrinews», «Фото: Владимир Третьяков»), or words that only
# name a credit («Видео: пресс-служба акимата», «Фото: скриншот из соцсетей», «Источник: tengrinews.kz»).
# After «Фото:» or «Видео:» two words are a credit only as a name, each word capitalised: «Видео:
# прорвало трубу», «Фото: горит рынок Барахолка» are a caption, the news of a video or photo page.
# Not «Источник в акимате сообщил, что…» (no colon).
_CREDIT = re.compile(
    r"^(?:(?P<source>источник|дереккөз|source)|фото|видео|бейне|сурет|photo|video)(?:\s+\w+){0,2}\s*:"
    r"\s*(?P<named>\S.*)$",
    re.IGNORECASE,
)
_CREDITED = re.compile(
    r"пресс-?\s?служб|баспасөз|скриншот|архив|кадр\w*\s+(?:из|с)\s+видео|соцсет|социальн\w*\s+сет|читател"
    r"|очевид|открыт\w*\s+источник|ашық\s+дереккөз|иллюстратив|instagram|инстаграм|telegram|телеграм"
    r"|youtube|ютуб|facebook|фейсбук|tiktok|тикток|shutterstock|depositphotos|unsplash|pixabay|freepik"
    r"|getty|\w\.(?:kz|ru|com|org|net|info|media|tv)\b",
    re.IGNORECASE,
)
CREDIT_LINE = 80  # characters a credit line has at most
CREDIT_WORDS = 5  # words a credit names at most, in words that name a credit («пресс-служба ДЧС Алматы»)
_WATCH = re.compile(
    r"^(?:смотрите|смотреть|watch)(?:\s+(?:наше|это|также|the))?\s+видео\W*$"
    r"|^(?:бейнені|видеоны)\s+(?:қараңыз|көріңіз)\W*$|^watch\s+(?:the\s+)?video\W*$",
    re.IGNORECASE,
)


def counter_line(line: str) -> bool:
    """Whether ``line`` is a counter of views or comments, which no article's text holds."""
    return _COUNTER.match(clean(line)) is not None


def without_counters(text: str) -> str:
    """``text`` without its counter lines (:func:`counter_line`)."""
    return "\n".join(line for line in text.split("\n") if not counter_line(line))


_PIECES = re.compile(r"\s*[,|·•]\s*")  # between a date and a counter on one line


def _furniture(line: str, author: str | None, now: datetime) -> bool:
    """A byline, a copyright line, a counter, a credit line, a call to watch a video, or a date line
    (:func:`date_line`); or such pieces on one line («сегодня в 17:04, просмотров: 173»)."""
    if _one_furniture(line, author, now):
        return True
    pieces = [piece for piece in _PIECES.split(line) if piece]
    return len(pieces) > 1 and all(_one_furniture(piece, author, now) for piece in pieces)


def _one_furniture(line: str, author: str | None, now: datetime) -> bool:
    if _BYLINE.match(line) or byline(line) == author or _COPYRIGHT.search(line):
        return True
    if counter_line(line) or _WATCH.match(line):
        return True
    return _credit_line(line) or date_line(line, now)


def _credit_line(line: str) -> bool:
    """Whether ``line`` is a credit line (``_CREDIT``), not a caption that begins as one."""
    credit = _CREDIT.match(line)
    if credit is None or len(line) > CREDIT_LINE:
        return False
    named = credit["named"]
    words = _LETTERS_WORD.findall(named)
    if len(words) > CREDIT_WORDS:
        return False
    if _CREDITED.search(named):
        return True
    # a name: after «Источник:» any two words; after «Фото:»/«Видео:» capitalised ones, else a caption
    return len(words) <= 2 and (credit["source"] is not None or all(w[0].isupper() for w in words))


# Words that label a printed date besides those ``dates.is_date_word`` knows («Обновлено»,
# «Опубликовано», «Жарияланған», «Дата», «сегодня», month names): other labels, and weekdays.
_DATE_LABELS = frozenset(
    {
        *("изменено", "добавлено", "размещено", "создано", "опубл", "обновлён", "обновлен", "время"),
        *("жаңартылды", "жаңартылған", "күні", "posted", "modified", "date", "last"),
        *("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
        *("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
        *("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі"),
        # relative times and their labels («2 часа назад», «Обновлено 3 часа назад», «2 сағат бұрын»,
        # «3 hours ago», «Последнее обновление: 25.11.2026»): they change between visits
        *("назад", "секунду", "секунды", "секунд", "минуту", "минуты", "минут", "мин"),
        *("час", "часа", "часов", "день", "дня", "дней", "неделю", "недели", "недель"),
        *("месяц", "месяца", "месяцев", "лет"),
        *("только", "что", "последнее", "последнего", "обновление", "обновления"),
        *("бұрын", "күн", "апта", "ай", "жаңа", "ғана", "соңғы", "жаңартылу"),
        *("ago", "a", "an", "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days"),
        *("week", "weeks", "month", "months", "year", "years"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    }
)


def date_line(line: str, now: datetime) -> bool:
    """Whether ``line`` prints a date and nothing else: its words are those a date is made of or
    labelled by («Обновлено: 25.11.2026 в 14:35», «Пятница, 27 ноября 2026», «Сегодня, 10:00», «2 часа
    назад», «3 hours ago»). Not «Финал — 1 декабря» nor «Сегодня в Алматы ожидается снег»: one other
    word is news."""
    if len(line) >= 60:
        return False
    words = _LETTERS_WORD.findall(line)
    return (
        all(is_date_word(w) or w.lower() in _DATE_LABELS for w in words) and parse_date(line, now) is not None
    )


def _chrome(tree: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """The page's menus (drop-down ones too: a ``<select>`` with its label), breadcrumbs, share
    buttons, banner (:func:`_banner`), footers and lists of related articles or tags. An element that
    holds the headline or the article is none of them, whatever its name (``<body
    class="has-navbar-fixed-top">``), and a block named so must also be mostly links, or one short line
    without a paragraph (breadcrumbs as text; not a tag list): an article's own block may be named
    "entry-content share-enabled", its text block "with-tags"."""
    yield from _drop_down_menus(tree)
    for el in tree.iter():
        named = not (
            _banner(el) or el.tag in ("nav", "footer") or el.get("role") in ("navigation", "contentinfo")
        )
        tags = False
        if named:
            name = f"{el.get('class') or ''} {el.get('id') or ''}"
            if name == " " or not _CHROME_NAME.search(name):
                tags = name != " " and _TAGS_NAME.search(name) is not None
                if not tags:
                    continue
        if el.tag in ("html", "body", "article", "main") or el.xpath(".//h1|.//article|.//main"):
            continue
        if named:  # a block named so must also be mostly links, or a line without a paragraph (not tags)
            text = len(clean(el.text_content()))
            links = sum(len(clean(a.text_content())) for a in el.iter("a"))
            if 2 * links < text and (tags or text > CHROME_LINE or el.find(".//p") is not None):
                continue
        yield el


def _banner(el: lxml.html.HtmlElement) -> bool:
    """Whether ``el`` is the site's banner: a ``<header>`` (or ``role="banner"``) outside ``<article>``
    and ``<main>`` that holds no ``<p>``, ``<h2>`` or ``<h3>`` and comes before the page's first
    ``<h1>``. A header that holds paragraphs or a heading, or one after the headline, is the article's
    (a post's header with its lead; a template's unclosed ``<header>`` around the whole layout)."""
    if el.tag != "header" and el.get("role") != "banner":
        return False
    return not el.xpath("ancestor::article | ancestor::main | .//p | .//h2 | .//h3 | preceding::h1")


def _drop_down_menus(tree: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """Each ``<select>`` (a region or language chooser), within the largest block around it that its
    options make the most of (with the label beside it: «Ваш регион:») and that holds no paragraph and
    no sentence outside its drop-downs (:func:`_sentence`): a select in an article's text, or beside a
    short news item or a poll's question, does not take the text with it."""
    for select in tree.iter("select"):
        options = len(clean(select.text_content()))
        block = select
        for parent in select.iterancestors():
            if parent.tag in ("html", "body", "article", "main") or parent.xpath(".//h1|.//p"):
                break
            if 2 * options < len(clean(parent.text_content())):
                break
            if any(_sentence(clean(text)) for text in parent.xpath(".//text()[not(ancestor::select)]")):
                break
            block = parent
        yield block


_SENTENCE_END = re.compile(r"[.!?…]$")


def _sentence(text: str) -> bool:
    """Whether ``text`` reads as a sentence, not a label («Ваш регион:», «Выберите город»): two words
    or more ending in a full stop, a question or an exclamation mark or an ellipsis, or five words or more."""
    words = len(_LETTERS_WORD.findall(text))
    return words >= 5 or (words >= 2 and _SENTENCE_END.search(text) is not None)
