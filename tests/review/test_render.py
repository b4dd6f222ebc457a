"""Evidence highlighting escapes first; the chart is plain SVG."""

from __future__ import annotations

import html
import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from review.render import highlight, per_day_svg, shown


def test_highlight_wraps_terms_case_insensitively_and_escapes_the_rest() -> None:
    out = str(
        highlight(
            "Взятка <b>и</b> ОТКАТ, яма & люк", {"corruption": ["взятка", "откат"], "infrastructure": ["яма"]}
        )
    )
    assert out == (
        '<mark class="ev ev-corruption" title="corruption">Взятка</mark> &lt;b&gt;и&lt;/b&gt; '
        '<mark class="ev ev-corruption" title="corruption">ОТКАТ</mark>, '
        '<mark class="ev ev-infrastructure" title="infrastructure">яма</mark> &amp; люк'
    )


def test_a_term_with_markup_characters_is_matched_on_the_raw_text() -> None:
    out = str(highlight("a <script> b", {"corruption": ["<script>"]}))
    assert out == 'a <mark class="ev ev-corruption" title="corruption">&lt;script&gt;</mark> b'


def test_longer_terms_win() -> None:
    out = str(highlight("взяткой", {"corruption": ["взятк", "взяткой"]}))
    assert out == '<mark class="ev ev-corruption" title="corruption">взяткой</mark>'


@given(st.text(), st.lists(st.text(min_size=1, max_size=6), max_size=4))
def test_highlight_never_changes_or_unescapes_the_text(text: str, terms: list[str]) -> None:
    out = str(highlight(text, {"corruption": terms}))
    stripped = re.sub(r'<mark class="ev ev-corruption" title="corruption">|</mark>', "", out)
    assert "<" not in stripped and ">" not in stripped
    assert html.unescape(stripped) == shown(text)  # the text, its control characters made visible


CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"]


@given(st.text())
def test_control_characters_are_shown_one_for_one_and_nothing_else_changes(text: str) -> None:
    out = shown(text)
    assert len(out) == len(text)
    assert not any(ch in CONTROLS for ch in out)
    assert all(a == b for a, b in zip(text, out, strict=True) if a not in CONTROLS)


def test_control_characters_get_their_pictures() -> None:
    assert shown("Ай\x01гүл\x1b[31m\x7f\x85\x9f\t\n\r") == "Ай␁гүл␛[31m␡\ufffd\ufffd\t\n\r"
    assert shown(None) == "" and shown("жол") == "жол"
    # in the highlighted text too, where an evidence term still matches around them
    out = str(highlight("пара\x02 сұрады\x0b", {"corruption": ["пара"]}))
    assert out == '<mark class="ev ev-corruption" title="corruption">пара</mark>␂ сұрады␋'


def test_chart_bars_per_day_and_label() -> None:
    svg = str(
        per_day_svg(
            [(date(2026, 11, 20), "corruption", 3), (date(2026, 11, 20), "infrastructure", 1),
             (date(2026, 11, 22), "corruption", 2)],
            first=date(2026, 11, 19), last=date(2026, 11, 25),
        )
    )  # fmt: skip
    assert svg.startswith('<svg class="chart"') and svg.endswith("</svg>")
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    assert titles == ["2026-11-20 corruption: 3", "2026-11-20 infrastructure: 1", "2026-11-22 corruption: 2"]
    empty = str(per_day_svg([], first=date(2026, 11, 19), last=date(2026, 11, 25)))
    assert "no flagged items in this period" in empty


def test_terms_from_normalised_text_match_the_raw_text() -> None:
    out = str(
        highlight(
            "Ещё раз: дороги, на улице — канализационный люк", {"infrastructure": ["еще", "дороги на", "на"]}
        )
    )
    assert out == (
        '<mark class="ev ev-infrastructure" title="infrastructure">Ещё</mark> раз: '
        '<mark class="ev ev-infrastructure" title="infrastructure">дороги, на</mark> улице — канализационный люк'
    )


def test_stems_match_word_starts_only() -> None:
    out = str(highlight("Взятку дали; перевзяткой нет", {"corruption": ["взятк"]}))
    assert out == '<mark class="ev ev-corruption" title="corruption">Взятк</mark>у дали; перевзяткой нет'


def test_overlapping_terms_of_two_labels_keep_the_longest_leftmost() -> None:
    out = str(highlight("ремонт дороги", {"infrastructure": ["ремонт дороги"], "corruption": ["ремонт"]}))
    assert out == '<mark class="ev ev-infrastructure" title="infrastructure">ремонт дороги</mark>'
