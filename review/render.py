"""HTML pieces built in Python (evidence highlighting, the per-day chart as inline SVG) and the
functions the templates call to show values (times, excerpts, links, control characters), and the
words for a decision or an answer refused because another came first.

Both pieces escape every piece of text first and add only their own markup around it, so an item
whose text is ``<script>…`` is shown as those characters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
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


def highlight(text: str | None, evidence: dict[str, list[str]]) -> Markup:
    """``text`` escaped, with every evidence term (case-insensitive) wrapped in <mark class=LABEL>.

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
