"""The date elements portals print that were read before day words were read only as a date element
(77e876b) and lost then (review R8): a separator between the day word and its clock («Вчера | 14:35»),
a count, rubric, note or name after the clock («Вчера в 14:35 👁 345», «… - Общество», «… Асель»), a
name before it with «/», «-» or a lowercase day word («Иван Петров / вчера в 14:35», «Асель вчера в
14:35»), a day word alone with a trailer, count or name («Вчера (изменено)», «Иван Петров, вчера»), and a
clock before a separator and its day word («14:35 | Сегодня»); sentences stay no date."""

from __future__ import annotations

import pytest
from datekit import NOW, at

from collectors.dates import parse_date, parse_relative
from collectors.extract import extract_article
from collectors.page_chrome import date_line

YESTERDAY = at(2026, 11, 24, 14, 35)
TODAY = at(2026, 11, 25, 14, 35)


@pytest.mark.parametrize("sep", ["|", "-", "—", "–", "/", "·", "•"])
@pytest.mark.parametrize(
    ("word", "expected"), [("Вчера", YESTERDAY), ("Сегодня", TODAY), ("Кеше", YESTERDAY)]
)
def test_a_separator_between_the_day_word_and_its_clock(sep: str, word: str, expected: object) -> None:
    text = f"{word} {sep} 14:35"
    assert parse_date(text, NOW) == expected, text
    assert parse_relative(text, NOW) == expected, text


@pytest.mark.parametrize(
    "after",
    [
        " 👁 345",
        " 💬 3",
        " / 345",
        ", 1 234 просмотра",
        " Просмотров: 345",
        " Комментарии: 3",
        " 3 комментария",
        " Комментарии (3)",
        " (изм.)",
        " - Общество",
        " »",
        " ▸",
        ", обновлено в 15:00",
        " Обновлено в 15:00",
        " Новости",
        " Асель",
        " Иван Петров",
        ", Иван Петров",
        "\nИван Петров",
        " Автор: Мария Иванова",
    ],
)
@pytest.mark.parametrize("head", ["Вчера в 14:35", "Кеше, 14:35", "вчера 14:35"])
def test_a_count_rubric_note_or_name_after_the_clock(head: str, after: str) -> None:
    text = head + after
    assert parse_date(text, NOW) == YESTERDAY, text


@pytest.mark.parametrize(
    "text",
    [
        "Иван Петров / вчера в 14:35",
        "Иван Петров - вчера в 14:35",
        "Асель вчера в 14:35",
        "Асель\nвчера в 14:35",
        "Ответ от Асель вчера в 14:35",
        "Иван Петров вчера в 14:35",
        "Асель 14:35 вчера",
        "Asel yesterday at 2:35 PM",
        "Кеше 14:35 Қоғам",
    ],
)
def test_a_name_before_the_day_word_and_clock(text: str) -> None:
    assert parse_date(text, NOW) == YESTERDAY, text


@pytest.mark.parametrize(
    "text",
    [
        "Вчера (изменено)",
        "Вчера (изменено) Просмотры 345",
        "вчера Ответить",
        "вчера | 345",
        "вчера, просмотров: 12",
        "Вчера, 345 просмотров",
        "вчера · Edited",
        "Иван Петров · вчера (изменено)",
        "Иван Петров, вчера",
        "Автор: Иван Петров, вчера",
        "Иван Петров / вчера",
        "Иван Петров - вчера",
        "Asel Вчера",
        "вчера | Иван Петров",
        "Опубликовано: вчера (изменено)",
    ],
)
def test_a_day_word_alone_with_a_trailer_count_or_name(text: str) -> None:
    assert parse_date(text, NOW) == at(2026, 11, 24), text
    assert parse_relative(text, NOW) == at(2026, 11, 24), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:35 | Сегодня", TODAY),
        ("14:35 · вчера", YESTERDAY),
        ("14:35 — вчера", YESTERDAY),
        ("9:05 PM | вчера", at(2026, 11, 24, 21, 5)),
    ],
)
def test_a_clock_a_separator_and_its_day_word_keep_the_clock(text: str, expected: object) -> None:
    assert parse_date(text, NOW) == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "Сейчас во дворе нет воды",
        "Вчера отключили свет, дали только в 23:40",
        "The match at 12:30 today",
        "Сегодня в 10:00 совещание в акимате",
        "Сегодня в 10:00 совещание в акимате по вопросам отопления",
        "Вчера в 14:35 произошла авария",
        "В 14:35 вчера произошло ДТП",
        "Бүгін сағат 14:35 кездесу өтеді",
        "Вчера в 10:00 3 человека пострадали",
        "Вчера, 18:30 Прорыв трубы на Абая",
        "Сегодня 10:00 - 18:00",
        "Сегодня | 10:00 – 18:00",
        "Мы были там вчера в 10:30",
        "Приём граждан сегодня в 10:00",
        "Звонила вчера",
        "Звонила вчера, никто не ответил.",
        "Сегодня Неделя Месяц",
        "Сегодня — день города",
        "Как сообщили, вчера",
    ],
)
def test_sentences_stay_no_date(text: str) -> None:
    assert parse_date(text, NOW) is None, text
    assert parse_relative(text, NOW) is None, text


BODY = "Жители жалуются на ямы вокруг люков после ремонта. " * 6


def test_an_article_and_comment_date_with_a_separator_are_read() -> None:
    page = (
        '<html><body><article><h1>Ямы вокруг люков</h1><div class="date">Вчера | 14:35</div>'
        f'<div class="article-body"><p>{BODY}</p></div>'
        '<div class="comment"><span class="comment-author">Асель</span> '
        '<span class="comment-date">Сегодня — 14:35</span>'
        '<div class="comment-text">Когда накажут?</div></div></article></body></html>'
    )
    article = extract_article(page, "https://example.kz/news/1", now=NOW)
    assert article.published_at == YESTERDAY
    assert [(c.author, c.published_at) for c in article.comments] == [("Асель", TODAY)]


def test_a_meta_block_with_a_count_dates_the_article() -> None:
    page = (
        '<html><body><article><h1>Ямы вокруг люков</h1><div class="article-meta"><span>Вчера в 14:35</span> '
        f'<span>Просмотры 345</span></div><div class="article-body"><p>{BODY}</p></div></article></body></html>'
    )
    assert extract_article(page, "https://example.kz/news/1", now=NOW).published_at == YESTERDAY


@pytest.mark.parametrize("line", ["Вчера | 14:35", "Сегодня — 14:35", "Вчера (изменено)"])
def test_a_date_element_with_a_separator_is_a_date_line(line: str) -> None:
    assert date_line(line, NOW), line
