"""HTML pieces built in Python (evidence highlighting, the per-day chart as inline SVG) and the
functions the templates call to show values (times, excerpts, links, control characters), and the
words for a decision or an answer refused because another came first.

Both pieces escape every piece of text first and add only their own markup around it, so an item
whose text is ``<script>…`` is shown as those characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise, repeat
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from collectors.dates import almaty_time

LABEL_COLOURS = {"corruption": "#b3261e", "infrastructure": "#1f5fa8"}
OTHER_COLOUR = "#666666"
EXCERPT = 400  # characters of an item's text in a list

# Control characters are not allowed in HTML text (nor in XML): browsers show some as boxes or
# garbage, and a page read as XHTML stops at them. Shown as Unicode's pictures of them (U+2400 on,
# ␡ for DEL), the C1 controls (U+0080-U+009F, which have none) as U+FFFD; one character for one, so
# positions in the text stay as they were. Tab, newline and carriage return are line layout.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # tab and line ends too: in a link, a name, a target
_CONTROL_PICTURES = (
    {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}
    | {0x7F: 0x2421}
    | dict.fromkeys(range(0x80, 0xA0), 0xFFFD)
)


def shown(text: str | None) -> str:
    """``text`` as the page shows it: control characters replaced by visible ones (the store keeps them)."""
    if not text or _CONTROL.search(text) is None:
        return text or ""
    return text.translate(_CONTROL_PICTURES)


def local_time(value: datetime | None) -> str:
    """A time as Almaty's local time, to the minute; "" for none."""
    return almaty_time(value).strftime("%Y-%m-%d %H:%M") if value else ""


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    """The text on one line, cut to ``limit`` characters (with an ellipsis), controls made visible."""
    text = shown(" ".join((text or "").split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None (a source could send ``javascript:``); its
    control characters percent-encoded (they reached the page's ``href`` as they were)."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return ANY_CONTROL.sub(lambda m: quote(m.group()), url.strip())
    return None


def text_lang(lang: str | None) -> str:
    """The HTML ``lang`` of an item's text: the page is English, the items Russian or Kazakh.

    The classifier also says "mixed" and "other", which name no language: "" (unknown) for those.
    """
    return lang if lang in ("ru", "kk") else ""


def _who(latest: dict[str, Any], user: str) -> str:
    return "You" if latest["reviewer"] == user else latest["reviewer"] or "Someone"


def stale_decision_text(latest: dict[str, Any], user: str) -> str:
    """Why a decision sent from a page older than the item's latest decision was not saved."""
    who = _who(latest, user)
    if "external_id" in latest:  # one of its near-duplicates
        who += f" (on its near-duplicate {latest['source']} {latest['external_id']})"
    to = f" to {latest['forwarded_to']}" if latest["forwarded_to"] else ""
    return (
        f"Not saved: {who} decided this item after this page was opened ({latest['status']}{to}, "
        f"{local_time(latest['created_at'])}; see the history below). Your decision is kept in the "
        "form: press its button again to save it over that one."
    )


def stale_answer_text(latest: dict[str, Any], user: str) -> str:
    """Why a yes or no sent from a page older than the label's latest answer was not saved."""
    return (
        f"Not saved: {_who(latest, user)} answered {latest['label']} on this item after this page was "
        f"opened ({'yes' if latest['value'] else 'no'}, {local_time(latest['created_at'])}). Your "
        "answer is marked: press it again to save it over that one."
    )


def _term_pattern(term: str) -> str:
    """A regex for an evidence term as it may appear in the raw text.

    The classifier's terms come from normalised text (ё as е, single spaces, no punctuation), so
    е also matches ё and the words of a phrase may be separated by any punctuation or spaces. A term
    starts at a word start (terms may be stems such as «взятк»); a short one must be a whole word,
    so «на» does not light up inside «канализация».
    """
    words = [re.escape(w).replace("е", "[её]").replace("Е", "[ЕЁ]") for w in term.split()]
    body = r"[\W_]+".join(words)
    return r"(?<!\w)" + body + (r"(?!\w)" if len(term) <= 3 else "")


# A word as written, for mapping it as the classifier does: letters (with combining marks), apostrophes
# inside («ko'sha»). Texts with a Latin letter are the only ones whose words the classifier rewrites
# beyond ё→е (Kazakh Latin, Russian translit, a Latin «i» in a Cyrillic word).
_WRITTEN_WORD = re.compile(r"[^\W\d_][\u0300-\u036f]*(?:['’‘]?[^\W\d_][\u0300-\u036f]*)*")
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÿĀ-ɏə]")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
_GAP = re.compile(r"[\W_]*")  # what may separate the words of a phrase (as in _term_pattern)


_LATIN_RUN = re.compile(r"[A-Za-zÀ-ÿĀ-ɏə]+")


def _may_mix_scripts(text: str) -> bool:
    """False when every run of Latin letters is a word of its own (no letter, mark or apostrophe beside
    it), so that no word mixes them with Cyrillic ones: then only a Latin reading rewrites a word."""
    size = len(text)
    for run in _LATIN_RUN.finditer(text):
        start, end = run.span()
        for at in (start - 1, end):
            if 0 <= at < size and (
                text[at].isalpha() or text[at] in "'’‘" or "\u0300" <= text[at] <= "\u036f"
            ):
                return True
    return False


def _latin_reading_of(text: str) -> str:
    """How the classifier read the Latin words of ``text``: "kk", "ru" or "" (``latin_reading``)."""
    from classify.normalise import latin_reading, mask, without_placeholders

    return latin_reading(without_placeholders(mask(text)))  # URLs and addresses are not judged


def _alphabet_of(text: str) -> int:
    """The Kazakh Latin alphabet the classifier reads ``text`` in (``kazakh_alphabet``, as normalise)."""
    from classify.normalise import kazakh_alphabet, mask

    return kazakh_alphabet(mask(unicodedata.normalize("NFC", text)))


@lru_cache(maxsize=20_000)
def _classifier_tokens(word: str, reading: str, alphabet: int = 0) -> tuple[str, ...]:
    """The classifier's tokens of one written word (usually one; «ko'sha» may give two), as its
    evidence holds them: lower case, Cyrillic, ё as е; () for a word it does not rewrite. ``alphabet``
    is the whole text's (``kazakh_alphabet``): «qyzmetkeri» is қызметкері only in a 2018 text."""
    from classify.features import TOKEN
    from classify.normalise import latin_to_cyrillic, normalise, russian_from_translit

    if _LATIN_LETTER.search(word) is None:
        return ()  # a Cyrillic word: only ё→е, which _term_pattern matches
    word = unicodedata.normalize("NFC", word)
    if _CYRILLIC_LETTER.search(word):
        form = normalise(word)  # both scripts in one word: its Latin lookalikes made Cyrillic
    elif reading == "kk":
        form = latin_to_cyrillic(word, alphabet)
    elif reading == "ru":
        form = russian_from_translit(word)
    else:
        return ()
    tokens = tuple(TOKEN.findall(form.lower().replace("ё", "е")))
    return () if tokens == tuple(TOKEN.findall(word.lower())) else tokens


def _rewritten_matches(text: str, evidence: dict[str, list[str]]) -> list[tuple[int, int, str, str]]:
    """(start, end, label, term) of each run of words in ``text`` that the classifier rewrote and
    whose tokens are an evidence term: a word whose form starts with a one-word term longer than three
    letters (a stem), a phrase as its words with only spaces or punctuation between them.

    Only texts with a Latin letter, and only runs holding a rewritten word: the other words are
    matched on the raw text by ``_term_pattern``, as before.
    """
    if not text or _LATIN_LETTER.search(text) is None:
        return []
    if len(text) < _SHARED_MATCHES:
        return _find_rewritten(text, evidence)
    # A long text's matches are kept: its page asks for them twice (the evidence line, the marking).
    key = tuple((label, tuple(terms)) for label, terms in evidence.items())
    return list(_kept_matches(text, key))


_SHARED_MATCHES = 20_000  # characters: a text at least this long has its matches kept (_kept_matches)


@lru_cache(maxsize=4)
def _kept_matches(
    text: str, evidence: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[tuple[int, int, str, str], ...]:
    return tuple(_find_rewritten(text, {label: list(terms) for label, terms in evidence}))


def _find_rewritten(text: str, evidence: dict[str, list[str]]) -> list[tuple[int, int, str, str]]:
    reading = _latin_reading_of(text)
    if not reading and not _may_mix_scripts(text):
        return []  # no word rewritten (a Cyrillic text with a link, an English one): none mapped one by one
    alphabet = _alphabet_of(text) if reading == "kk" else 0
    tokens: list[tuple[str, int, int, bool]] = []  # (token, start, end of its word, rewritten)
    # Each distinct word mapped once: a dict costs less than _classifier_tokens' lru_cache.
    known: dict[str, tuple[str, ...]] = {}
    for match in _WRITTEN_WORD.finditer(text):
        word = match.group()
        mapped = known.get(word)
        if mapped is None:
            mapped = known[word] = _classifier_tokens(word, reading, alphabet)
        if mapped:
            start, end = match.span()
            tokens += [(token, start, end, True) for token in mapped]
        else:
            tokens.append((word.lower().replace("ё", "е"), *match.span(), False))
    # Terms by their first word; one-word terms longer than three letters also by length, as stems.
    by_first: defaultdict[str, list[tuple[str, str, list[str]]]] = defaultdict(list)
    stems: defaultdict[str, list[str]] = defaultdict(list)
    for label, terms in evidence.items():
        for term in dict.fromkeys(t.strip().lower() for t in terms if t and t.strip()):
            words = term.split()
            by_first[words[0]].append((label, term, words))
            if len(words) == 1 and len(term) > 3:
                stems[term].append(label)
    stem_lengths = sorted({len(stem) for stem in stems})
    found: list[tuple[int, int, str, str]] = []
    for i, (token, start, end, rewritten) in enumerate(tokens):
        if rewritten:  # a one-word stem: «взятк» for «vzyatku»
            for size in stem_lengths:
                if size < len(token):
                    found += [(start, end, label, token[:size]) for label in stems.get(token[:size], ())]
        for label, term, words in by_first.get(token, ()):
            run = tokens[i : i + len(words)]
            if len(run) < len(words) or not any(r[3] for r in run):
                continue
            *inner, last = words
            if [r[0] for r in run[1:-1]] != inner[1:] or not (
                run[-1][0] == last or (len(term) > 3 and run[-1][0].startswith(last))
            ):
                continue
            if all(_GAP.fullmatch(text, a[2], b[1]) or a[1] == b[1] for a, b in pairwise(run)):
                found.append((start, run[-1][2], label, term))
    return found


def may_write_otherwise(text: str | None) -> bool:
    """False when ``evidence_as_written`` surely names every term as stored, found cheaply: the text
    holds no Latin letter but inside links, e-mail addresses and @handles (which the classifier masks:
    a Cyrillic post with a link), and no word mixing the scripts. True leaves it to that function."""
    text = shown(text)
    found = _LATIN_LETTER.search(text)
    marked: list[str] = []  # the words with a Latin letter that a mask may cover
    while found is not None:
        # The word holding it: masks never reach over a space or a line end.
        at = found.start()
        start = (
            at
            if not at or text[at - 1] in _SPACES
            else max(map(text.rfind, _SPACES, repeat(0), repeat(at))) + 1
        )
        end = _WORD_REST.match(text, at).end()  # type: ignore[union-attr]
        word = text[start:end]
        if "." not in word and "@" not in word:
            return True  # no link, address nor handle (a scheme, www. and a domain hold a dot): «WhatsApp»
        if _PLAIN_URL.fullmatch(word) is None:  # a plain link is masked whole and mixes no scripts
            marked.append(word)
        found = _LATIN_LETTER.search(text, end)
    # A Latin letter the classifier's mask leaves is read, and so is a Latin run beside a letter.
    return any(_LATIN_LETTER.search(_masked(word)) or _may_mix_scripts(word) for word in marked)


def _masked(word: str) -> str:
    from classify.normalise import mask, without_placeholders

    return without_placeholders(mask(word))


_WORD_REST = re.compile("[^ \n\t\r]*")
# A link of ASCII letters, digits and URL signs, no quote nor @: normalise.mask's _URL takes all of it
# but for a closing sign or bracket (no letter), and no Latin run in it touches a letter.
_PLAIN_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9./_~%?#=&+:;,!()\[\]*$-]*")
_SPACES = " \n\t\r"  # what ends a word for ``may_write_otherwise`` (shown keeps them as they are)


def evidence_as_written(text: str | None, evidence: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each label's evidence terms as the text writes them where the classifier rewrote the words
    («para sūrady (пара сұрады)», its first occurrence), else the term as stored."""
    written: dict[tuple[str, str], str] = {}
    text = shown(text)
    for start, end, label, term in _rewritten_matches(text, evidence):
        written.setdefault((label, term), " ".join(text[start:end].split()))
    return {
        label: [
            f"{written[label, t.strip().lower()]} ({t})" if (label, t.strip().lower()) in written else t
            for t in terms
            if t and t.strip()  # an empty term (None in a hand-edited row) is shown as none (review)
        ]
        for label, terms in evidence.items()
    }


def highlight(text: str | None, evidence: dict[str, list[str]]) -> Markup:
    """``text`` escaped, with every evidence term (case-insensitive) wrapped in <mark class=LABEL>.

    The terms are in the classifier's form (Cyrillic); words it rewrote to reach it (Kazakh in Latin
    letters, Russian translit, a Latin «i» typed in a Cyrillic word) are marked as written.
    Control characters are shown as visible ones (``shown``).
    """
    text = shown(text)
    spans: list[tuple[int, int, str]] = []
    for label, terms in evidence.items():
        clean = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
        if not clean or not text:
            continue
        pattern = re.compile("|".join(_term_pattern(t) for t in clean), re.IGNORECASE)
        spans += [(m.start(), m.end(), label) for m in pattern.finditer(text) if m.end() > m.start()]
    spans += [(start, end, label) for start, end, label, _term in _rewritten_matches(text, evidence)]
    if not spans:
        return escape(text)
    # Leftmost first, the longest where two start together; overlapping later matches are dropped.
    spans.sort(key=lambda span: (span[0], span[0] - span[1]))
    out: list[str] = []
    pos = 0
    for begin, finish, label in spans:
        if begin < pos:
            continue
        css = label if label in LABEL_COLOURS else "other"
        out.append(str(escape(text[pos:begin])))
        out.append(f'<mark class="ev ev-{css}" title="{escape(label)}">{escape(text[begin:finish])}</mark>')
        pos = finish
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every text piece was escaped above


def per_day_svg(
    counts: list[tuple[date, str, int]], *, first: date, last: date, width: int = 900, height: int = 220
) -> Markup:
    """A bar chart of flagged items per day, one bar per label side by side, days ``first``..``last``."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)] if first <= last else []
    by_day: dict[date, dict[str, int]] = defaultdict(dict)
    labels: list[str] = []
    for day, label, n in counts:
        by_day[day][label] = n
        if label not in labels:
            labels.append(label)
    labels.sort(key=lambda lab: (lab not in LABEL_COLOURS, lab))
    top = max((n for _d, _l, n in counts), default=0)
    left, bottom, right, head = 36, 34, 10, 22
    plot_w, plot_h = width - left - right, height - bottom - head
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="flagged items per day per label">'
    ]
    if not days or top == 0:
        parts.append(f'<text x="{left}" y="{height // 2}" fill="#555">no flagged items in this period</text>')
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 - numbers, and labels escaped above
    step = _nice_step(top)
    scale_top = step * -(-top // step)
    for tick in range(0, scale_top + 1, step):
        y = head + plot_h - plot_h * tick / scale_top
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>')
    slot = plot_w / len(days)
    bar = max(1.0, (slot * 0.8) / max(1, len(labels)))
    label_every = max(1, len(days) // 10)
    for i, day in enumerate(days):
        x0 = left + i * slot + slot * 0.1
        for j, label in enumerate(labels):
            n = by_day.get(day, {}).get(label, 0)
            if not n:
                continue
            h = plot_h * n / scale_top
            colour = LABEL_COLOURS.get(label, OTHER_COLOUR)
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{head + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(day.isoformat())} {escape(label)}: {n}</title></rect>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{day:%d.%m}</text>'
            )
    x = left
    for label in labels:
        colour = LABEL_COLOURS.get(label, OTHER_COLOUR)
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="14" font-size="12">{escape(label)}</text>')
        x += 30 + 8 * len(label)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers, and labels escaped above


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if top / step <= 5:
            return step
    return 10000
