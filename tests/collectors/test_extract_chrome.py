"""A news page without article text: its banner, drop-down menus, tag lists and a date-and-counter line
are the site's, not the article's; and an article's lead box and first line as a reader sees them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.extract import extract_article

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
URL = "https://vestnik.example/news/2026/11/25/nagradili-zhurnalistov-5501.html"
TITLE = "В Алматы наградили лучших журналистов"
H1 = f"<h1>{TITLE}</h1>"

# A regional portal's page whose article a script brings: everything a reader sees is the site's.
REGIONS = "".join(
    f'<option value="https://{code}.vestnik.example/">{name}</option>'
    for code, name in [
        ("almaty", "Алматы"),
        ("astana", "Астана"),
        ("shymkent", "Шымкент"),
        ("karaganda", "Караганда"),
        ("aktobe", "Актобе"),
        ("pavlodar", "Павлодар"),
        ("kostanay", "Костанай"),
        ("atyrau", "Атырау"),
    ]
)
SELECT = (
    f'<div class="regions-xs" style="display:none"><div>Ваш регион:</div><select>{REGIONS}</select></div>'
)
BANNER = (
    '<div class="top"><header><a href="/"><img alt="Вестник"></a>'
    '<div class="links-one"><a href="/regions/">Вестник в регионах</a> 25 ноября 2026<br>время 17:29</div>'
    '<div class="teaser"><div class="finance"><div>Курс НБК</div><div>470.51</div><div>Доллар</div>'
    "<div>512.20</div><div>Евро</div></div></div>"
    '<div class="region-suggest"><div>Ваш регион <strong>Астана?</strong></div>'
    '<a href="#">все верно</a> <a href="#">другой</a></div>'
    '<div class="push-suggest"><div>Хотите сразу и абсолютно бесплатно получать важные новости «Вестника»?'
    '</div><a href="/push/">Да</a> <a href="#">Напомнить позже</a></div></header></div>'
)
MENU = (
    '<nav><ul><li><a href="/politics/">Политика</a></li><li><a href="/society/">Общество</a></li></ul></nav>'
)
DATE_VIEWS = '<span class="date">сегодня в 17:04, просмотров: 173</span>'
TAGS = (
    '<div class="article-info"><span class="tags">Ключевые слова:&nbsp;<a href="/places/almaty/">Алматы ,</a> '
    '<a href="/places/almaty-region/">Алматинская область</a></span></div>'
)
HEADLINES = (
    '<div class="news-list"><a href="/news/5500">В Алматы отменили режим повышенной готовности</a>'
    '<a href="/news/5499">Директор приборного завода покинул пост</a></div>'
)


def page(body: str = "") -> str:
    """The portal's page around an article body (empty: the script's)."""
    return (
        f"<html><head><title>{TITLE} | Вестник</title></head><body>{SELECT}{BANNER}{MENU}"
        f'<main><div itemscope itemtype="https://schema.org/NewsArticle"><h1 itemprop="headline">{TITLE}</h1>'
        f'{DATE_VIEWS}<div itemprop="articleBody">{body}</div></div>{TAGS}</main>{HEADLINES}</body></html>'
    )


def test_a_page_of_banner_drop_down_tags_and_a_date_with_views_has_no_text() -> None:
    art = extract_article(page(), URL, now=NOW)
    assert art.title == TITLE
    assert art.text == ""


NO_ARTICLE = {
    "banner": BANNER,
    "drop-down-with-its-label": SELECT,
    "tags": TAGS,
    "date-and-views": DATE_VIEWS,
}


@pytest.mark.parametrize("chrome", NO_ARTICLE.values(), ids=NO_ARTICLE.keys())
def test_each_piece_of_chrome_beside_a_headline_is_no_text(chrome: str) -> None:
    html = f"<html><body>{H1}{chrome}</body></html>"
    assert extract_article(html, URL, now=NOW).text == ""


def test_a_short_article_on_that_page_keeps_its_text() -> None:
    lines = ["Премию получили пять журналистов.", "Вручение прошло в акимате."]
    art = extract_article(page("".join(f"<p>{line}</p>" for line in lines)), URL, now=NOW)
    # in order; trafilatura takes some of the page around so short a text, as it did before
    assert "\n".join(lines) in art.text


KEPT = {
    # a date, then words that are news: no date-and-counter line
    "words-beside-views": (
        f"{H1}<span>Сегодня в Алматы, просмотров: 5</span>",
        ["Сегодня в Алматы, просмотров: 5"],
    ),
    # a select in an article's text does not take the text with it
    "select-in-the-text": (
        f"{H1}<div><p>Голосуйте за свой район.</p><select>{REGIONS * 4}</select></div>",
        ["Голосуйте за свой район.", "Алматы", "Астана"],
    ),
    # a header that holds the headline, or one in the article, is the article's
    "header-with-the-headline": (
        f"<header>{H1}<p>Премию получили пять журналистов.</p></header>",
        ["Премию получили пять журналистов."],
    ),
    "header-in-the-article": (
        f"<article>{H1}<header><p>Премию получили пять журналистов.</p></header></article>",
        ["Премию получили пять журналистов."],
    ),
}


@pytest.mark.parametrize(("body", "lines"), KEPT.values(), ids=KEPT.keys())
def test_short_news_beside_such_chrome_keeps_its_text(body: str, lines: list[str]) -> None:
    text = extract_article(f"<html><body>{body}</body></html>", URL, now=NOW).text
    assert text.split("\n")[: len(lines)] == lines


# A lead box of bare text between the headline and the paragraphs, as a reader sees it.
LEAD = (
    "Компанию оштрафовали на два миллиарда тенге за загрязнение реки: суд признал, что сбросы шли три года."
)
PARAGRAPHS = [
    f"Жители посёлка номер {n} много лет жаловались на запах у реки, а проверки ничего не находили."
    for n in range(12)
]


def article(box: str) -> str:
    """An article laid out as a news site's template does: a subtitle ending in a line break (whose
    text trafilatura keeps with the spaces before it), then a box and the paragraphs."""
    return (
        '<html><body><article class="article"><div class="article-layout"><div class="article-layout_main">'
        '<div class="article-layout_body"><div class="article-content-wrapper">'
        f'<div class="article_theme">Экология</div><h1 class="article_title">{TITLE}</h1>'
        '<div class="article_metas"><span class="article_date">25 ноября 2026</span></div>'
        '<h2 class="article_surtitle">\n              <!--paging-->Суд впервые назначил такой штраф за сбросы.'
        f'<br>            </h2><div class="article-layout_body-main"><div class="article_body">{box}'
        '<div class="reserve">'
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</div></div></div></div></div></div></div></article></body></html>"
    )


def test_a_lead_box_before_the_paragraphs_is_text_and_no_line_starts_with_spaces() -> None:
    text = extract_article(article(f'<div class="facts"><!--paging-->{LEAD}</div>'), URL, now=NOW).text
    assert text.split("\n") == ["Суд впервые назначил такой штраф за сбросы.", LEAD, *PARAGRAPHS]
