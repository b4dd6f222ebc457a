"""A news page without article text: its banner, drop-down menus, tag lists and a date-and-counter line
are the site's, not the article's; an article in a <header>, beside a drop-down or in a block named
"tags" keeps its text; a site's box before the paragraphs is not text; and no line starts with spaces."""

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
    "banner": f"{BANNER}{H1}",  # before the headline, as a site's banner is
    "drop-down-with-its-label": f"{H1}{SELECT}",
    "tags": f"{H1}{TAGS}",
    "date-and-views": f"{H1}{DATE_VIEWS}",
}


@pytest.mark.parametrize("body", NO_ARTICLE.values(), ids=NO_ARTICLE.keys())
def test_each_piece_of_chrome_beside_a_headline_is_no_text(body: str) -> None:
    html = f"<html><body>{body}</body></html>"
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


SNOW = "Утром в Алматы выпал первый снег: к обеду слой на дорогах достиг пяти сантиметров."
SHORT = "Трассу Алматы — Бишкек закрыли."
SITE_HEADER = '<header class="site-header"><a href="/">Вестник</a>' + MENU + "</header>"
IN_A_HEADER_OR_BESIDE_CHROME = {
    # a template's missing </header>: the whole layout, headline and text, sits in the site's header
    "unclosed-header": (
        f'<header><a href="/">Вестник</a><div class="title">{TITLE}</div>'
        f'<div class="text"><p>{SNOW}</p><p>Водителей просят быть осторожнее.</p></div>',
        [SNOW, "Водителей просят быть осторожнее."],
    ),
    # no <article>: a post's header holds its heading and lead, its body is a video
    "post-header-with-its-lead": (
        f'{SITE_HEADER}<div class="post"><header class="post-header"><h2>{TITLE}</h2><p>{SNOW}</p></header>'
        '<div class="post-body"><iframe src="https://video.example/embed/1"></iframe></div></div>',
        [SNOW],
    ),
    # a header that holds a heading is a post's, whatever else it holds
    **{
        f"post-header-with-an-{h}": (
            f'{SITE_HEADER}<div class="post"><header><{h}>Первый снег</{h}><div class="lead">{SNOW}</div>'
            "</header></div>",
            [SNOW],
        )
        for h in ("h2", "h3")
    },
    # a header after the headline is the article's lead
    "header-after-the-headline": (
        f'{SITE_HEADER}<div class="news">{H1}<header class="news-lead"><div>{SHORT}</div></header></div>',
        [SHORT],
    ),
    # a select beside a short item of bare text, or a poll's question, does not take the text with it
    "select-beside-short-text": (
        f'{SITE_HEADER}<div class="news">{H1}<div class="body"><div>{SHORT}</div><select>{REGIONS}</select>'
        "</div></div>",
        [SHORT],
    ),
    "poll-question": (
        f'{H1}<div class="poll"><div class="question">Кто лучший журналист года?</div><select>'
        "<option>Иван Петров из Алматы</option><option>Анна Смирнова из Астаны</option>"
        "<option>Ержан Сулейменов из Шымкента</option></select></div>",
        ["Кто лучший журналист года?"],
    ),
    # a text block whose class names tags, not mostly links, is no tag list
    "text-block-named-with-tags": (
        f'{SITE_HEADER}<div class="news">{H1}<div class="article-text with-tags">{SHORT}</div></div>',
        [SHORT],
    ),
}


@pytest.mark.parametrize(
    ("body", "lines"), IN_A_HEADER_OR_BESIDE_CHROME.values(), ids=IN_A_HEADER_OR_BESIDE_CHROME
)
def test_an_article_in_a_header_or_beside_chrome_keeps_its_text(body: str, lines: list[str]) -> None:
    html = f"<html><head><title>{TITLE}</title></head><body>{body}</body></html>"
    text = extract_article(html, URL, now=NOW).text.split("\n")
    assert all(line in text for line in lines), text


# A box of bare text between the headline and the paragraphs, named as anything: as often the site's
# as the article's, so it is left to the extractor (which leaves it out of a text of many paragraphs).
SITE_BOXES = {
    "subscribe": 'Подпишитесь на наш Telegram-канал, чтобы первыми узнавать главные новости: <a href="/t">@vestnik</a>',
    "age-warning": "18+ Материал содержит сцены насилия и не рекомендуется лицам, не достигшим совершеннолетия.",
    "cookies": 'Мы используем файлы cookie, чтобы сайт работал лучше. Продолжая, вы соглашаетесь. <a href="/p">Подробнее</a>',
    "author-bio": "Иван Петров — обозреватель отдела политики, пишет о парламенте и выборах, работает у нас с 2015 года.",
    "read-also": "Читайте также: в Астане прошёл форум молодых журналистов, на котором обсудили будущее профессии.",
    "caption": "Фото: пресс-служба акимата. На снимке участники церемонии награждения в здании акимата города.",
}
PARAGRAPHS = [
    f"Жители посёлка номер {n} много лет жаловались на запах у реки, а проверки ничего не находили."
    for n in range(8)
]
TEXT = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


@pytest.mark.parametrize("box", SITE_BOXES.values(), ids=SITE_BOXES)
@pytest.mark.parametrize(
    "layout",
    [
        '<div class="b1"><div class="b2">{box}</div>{text}</div>',
        '<div class="b1"><div class="b2">{box}</div><div>{text}</div></div>',
    ],
    ids=["beside-the-paragraphs", "beside-their-block"],
)
def test_a_site_box_between_the_headline_and_the_paragraphs_is_not_text(box: str, layout: str) -> None:
    body = layout.format(box=box, text=TEXT)
    html = f'<html><body>{SITE_HEADER}<div class="article">{H1}{body}</div></body></html>'
    assert extract_article(html, URL, now=NOW).text.split("\n") == PARAGRAPHS


def test_no_line_starts_with_the_spaces_of_the_markup() -> None:
    """A subtitle ending in a line break, whose text trafilatura keeps with the spaces before it."""
    html = (
        f'<html><body><article><h1 class="article_title">{TITLE}</h1>'
        '<h2 class="article_surtitle">\n              <!--paging-->Суд впервые назначил такой штраф за сбросы.'
        f'<br>            </h2><div class="article_body">{TEXT}</div></article></body></html>'
    )
    text = extract_article(html, URL, now=NOW).text
    assert text.split("\n") == ["Суд впервые назначил такой штраф за сбросы.", *PARAGRAPHS]
