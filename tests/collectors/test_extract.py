"""Article and comment extraction: golden records from our own fixtures, bad input, the CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.extract import extract_article, find_title
from collectors.html_page import check_content, parse_tree
from collectors.http import decode_body
from collectors.portal_comments import extract_comments
from errors import ParseError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "portal"
SHARED_PAGES = ROOT.parent / "shared" / "corpora" / "pages"
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 18:00 in Almaty
PLUS5 = timezone(timedelta(hours=5))
BASE = "https://vestnik.example"


def load(name: str) -> str:
    text, _ = decode_body((FIXTURES / name).read_bytes(), None)
    return text


def test_article_golden_record() -> None:
    art = extract_article(load("article-remont.html"), f"{BASE}/news/x.html", now=NOW)
    assert art.title == "Ямы вокруг люков после ремонта: жители жалуются"
    assert art.published_at == datetime(2026, 11, 25, 14, 35, tzinfo=PLUS5)
    assert art.author == "Айгерим Сейтказина"
    assert art.canonical_url == f"{BASE}/news/2026/11/25/yamy-vokrug-lyukov-posle-remonta.html"
    assert art.text.startswith("В департамент поступила жалоба через WhatsApp")
    assert art.text.endswith("кто подписал акт приёмки выполненных работ.")
    assert art.text.count("\n") == 3  # four paragraphs, nothing else
    for boilerplate in (
        "Читайте также",
        "Реклама",
        "Поделиться",
        "Главная",
        "Все права защищены",
        "Ответить",
        "Марат",
    ):
        assert boilerplate not in art.text
    assert [c.as_json() for c in art.comments] == [
        {
            "id": "101",
            "author": "Марат",
            "published_at": "2026-11-25T15:02:00+05:00",
            "text": "А как наказали чиновников, которые приняли этот ремонт? Кто подписывал акт приёмки?",
            "reply_to": None,
        },
        {
            "id": "102",
            "author": "Салтанат",
            "published_at": "2026-11-25T15:20:00+05:00",
            "text": "Никого не наказали, как всегда. Подрядчик тот же, что и в прошлом году.",
            "reply_to": "101",
        },
        {
            "id": "103",
            "author": "Ерлан",
            "published_at": "2026-11-25T16:45:00+05:00",
            "text": "На Сейфуллина такая же беда, люк провалился прямо на пешеходном переходе.",
            "reply_to": None,
        },
    ]
    assert art.comments_next == f"{BASE}/news/2026/11/25/yamy-vokrug-lyukov-posle-remonta.html?cpage=2"


def test_kazakh_article_with_dates_in_text_and_relative_comment_dates() -> None:
    art = extract_article(
        load("article-kz.html"), f"{BASE}/news/2026/11/23/kosh-zharygy-oshiruli-5501.html", now=NOW
    )
    assert art.title == "Көшеде түнгі жарық сөнді"
    assert art.published_at == datetime(2026, 11, 23, 21, 10, tzinfo=PLUS5)
    assert art.author == "Нұрлан Бекұлы"
    assert art.text.startswith("Сарыарқа ауданындағы Жеңіс көшесінде")
    assert "Тағы оқыңыз" not in art.text and "Басты бет" not in art.text and "23 қараша" not in art.text
    assert [(c.comment_id, c.author, c.published_at, c.reply_to) for c in art.comments] == [
        ("9001", "Бауыржан", datetime(2026, 11, 25, 15, 0, tzinfo=PLUS5), None),
        ("9002", "Ольга", datetime(2026, 11, 24, 0, 0, tzinfo=PLUS5), "9001"),
    ]
    assert art.comments[1].text == "У нас тоже темно, кабель украли ещё летом, а деньги на новый уже освоили."


def test_cp1251_page_and_time_printed_in_text() -> None:
    raw = (FIXTURES / "article-avtobus-cp1251.html").read_bytes()
    text, encoding = decode_body(raw, "text/html")
    assert encoding == "windows-1251" or encoding == "cp1251"
    art = extract_article(text, f"{BASE}/news/2026/11/24/avtobus-12-izmenil-marshrut.html", now=NOW)
    assert art.title == "Автобус №12 изменил маршрут"
    assert art.published_at == datetime(2026, 11, 24, 9, 40, tzinfo=PLUS5)
    assert art.author == "Пресс-служба акимата"
    assert "Остановки «Рынок» и «Школа №5»" in art.text
    assert art.comments == []


def test_site_selectors_win_over_the_defaults() -> None:
    selectors = {
        "title": ".post-meta .author",  # deliberately odd, to see the selector is used
        "body": ".post-body",
        "drop": "p:last-child",
        "date": ".comment-metadata time",
        "comments": "li.comment.depth-1",
        "comment_text": ".comment-content",
    }
    art = extract_article(load("article-remont.html"), f"{BASE}/a.html", selectors=selectors, now=NOW)
    assert art.title == "Айгерим Сейтказина"
    assert art.published_at == datetime(2026, 11, 25, 15, 2, tzinfo=PLUS5)
    assert art.text.count("\n") == 2 and "акт приёмки выполненных" not in art.text
    assert [c.comment_id for c in art.comments] == ["101", "103"]
    # the reply nested in 101 is not part of 101's own text
    assert "Никого не наказали" not in art.comments[0].text


def test_structural_guess_finds_unnamed_comment_blocks() -> None:
    html = """<html><body><h1>Жалоба на двор</h1><p>Текст новости о дворе, который не убирают.</p>
    <div id="otzyvy-comments"><h3>Отзывы</h3>
      <div class="otzyv"><span class="who">Асель</span> / 24.11.2026<p>Во дворе мусор не вывозят уже месяц, акимат молчит.</p></div>
      <div class="otzyv"><span class="who">Данияр</span> / 25.11.2026<p>Подтверждаю, контейнеры переполнены, звонили в 109.</p></div>
    </div></body></html>"""
    comments, _ = extract_comments(parse_tree(html), f"{BASE}/x", now=NOW)
    assert [c.published_at.date().isoformat() for c in comments] == ["2026-11-24", "2026-11-25"]
    assert "мусор не вывозят" in comments[0].text and "Подтверждаю" in comments[1].text


def test_wordpress_commenters_are_named_without_the_word_after_the_name() -> None:
    def comment(number: int, name: str, says: str, text: str) -> str:
        return (
            f'<li id="comment-{number}" class="comment"><article class="comment-body">'
            f'<footer class="comment-meta"><div class="comment-author vcard"><cite class="fn">{name}</cite> '
            f'<span class="says">{says}</span></div></footer>'
            f'<div class="comment-content"><p>{text}</p></div></article></li>'
        )

    html = (
        "<html><body><h1>Жарық жоқ</h1><p>Көшеде шамдар жанбайды, тұрғындар шағымданды.</p><ol class='comment-list'>"
        + comment(11, "Асель", "сказал(а):", "Во дворе темно уже неделю.")  # no word list has it all
        + comment(12, "Нұрлан", "дейді:", "Біздің көшеде де солай.")
        # a theme that marks only the outer block
        + '<li id="comment-13" class="comment"><div class="comment-author">Ерлан пишет:</div>'
        + '<div class="comment-content"><p>Позвонил в 109.</p></div></li>'
        + "</ol></body></html>"
    )
    comments, _ = extract_comments(parse_tree(html), f"{BASE}/x", now=NOW)
    assert [(c.author, c.text) for c in comments] == [
        ("Асель", "Во дворе темно уже неделю."),
        ("Нұрлан", "Біздің көшеде де солай."),
        ("Ерлан", "Позвонил в 109."),
    ]


def test_a_sidebar_of_the_sites_latest_comments_is_not_this_pages_comments() -> None:
    widget = "".join(
        f'<li class="recentcomments"><span class="comment-author-link">{name}</span> к записи '
        f'<a href="{BASE}/news/{n}/#comment-{n}0">Другая новость номер {n}</a></li>'
        for n, name in ((1, "вера"), (2, "вася"), (3, "Айгүл"))
    )
    html = (
        "<html><body><article><h1>Ремонт моста</h1><p>Мост закрыли на ремонт до весны, объезд по Абая.</p>"
        f'</article><aside><div id="recent-comments-2" class="widget widget_recent_comments">'
        f'<div class="widget-header">Свежие комментарии</div><ul id="recentcomments">{widget}</ul></div>'
        "</aside></body></html>"
    )
    assert extract_comments(parse_tree(html), f"{BASE}/most", now=NOW) == ([], None)


@pytest.mark.parametrize("wrapper", ["layout has-sidebar", "page-with-widgets", "recent-news-layout"])
def test_comments_in_a_page_wrapper_named_like_a_sidebar_are_found(wrapper: str) -> None:
    html = f"""<html><body><div class="{wrapper}"><h1>Жалоба на двор</h1><p>Текст новости о дворе.</p>
    <div id="otzyvy-comments"><h3>Отзывы</h3>
      <div class="otzyv"><span class="who">Асель</span> / 24.11.2026<p>Во дворе мусор не вывозят уже месяц.</p></div>
      <div class="otzyv"><span class="who">Данияр</span> / 25.11.2026<p>Подтверждаю, контейнеры переполнены.</p></div>
    </div></div></body></html>"""
    comments, _ = extract_comments(parse_tree(html), f"{BASE}/x", now=NOW)
    assert len(comments) == 2


def test_an_empty_comment_form_is_not_a_comment() -> None:
    html = """<html><body><h1>Новость</h1><p>Текст новости о ремонте дороги на въезде в город.</p>
    <div class="comment comment_quick-form"><div class="comment__author"> </div>
      <label><span class="visually-hidden">Оставьте ваш комментарий</span>
      <textarea placeholder="Оставьте ваш комментарий"></textarea></label></div>
    </body></html>"""
    assert extract_comments(parse_tree(html), f"{BASE}/x", now=NOW) == ([], None)


def test_five_thousand_comments_are_cut_at_the_limit() -> None:
    items = "".join(
        f'<li id="comment-{i}" class="comment"><div class="comment-content">Комментарий номер {i}</div></li>'
        for i in range(1, 5001)
    )
    html = f"<html><body><h1>Тема</h1><p>Текст статьи.</p><ol class='comment-list'>{items}</ol></body></html>"
    art = extract_article(html, f"{BASE}/big.html", now=NOW, max_comments=1000)
    assert len(art.comments) == 1000
    assert art.comments[-1].text == "Комментарий номер 1000"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n ",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        bytes(range(256)) * 8,
        b"%PDF-1.7\n%\xe2\xe3",
    ],
)
def test_binary_and_empty_bodies_are_refused(content: bytes) -> None:
    with pytest.raises(ParseError):
        check_content(content, "https://x/")


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04\x14\x00\x06\x00" + b"<html>" * 100,  # a .zip (or .docx) served as text/html
        b"\x1f\x8b\x08\x00" + b"<html>" * 100,  # gzip the server did not say it sent
        random.Random(7).randbytes(8192),  # compressed data, no signature we know
        b"<html><body>" + b"\x00" * 600 + b"<p>text</p>" * 100,  # NUL-padded
        "<html><body>" + "\x00\x01\x02" * 200 + "<p>text</p>" * 100,  # decoded already
    ],
    ids=["zip", "gzip", "compressed", "nul-padded", "controls-in-text"],
)
def test_more_binary_bodies_are_refused(content: bytes | str) -> None:
    with pytest.raises(ParseError, match="binary content"):
        check_content(content, "https://x/")


def test_a_page_with_a_stray_nul_is_read_without_it() -> None:
    html = (
        "<html><head><title>Ремонт</title></head><body>\x00<h1>Ремонт дорог</h1>"
        + "<p>Подрядчик снова не успел к сроку,\x00 а акт уже подписан.</p>" * 3
        + "</body></html>"
    )
    for content in (html, html.encode("utf-8")):
        check_content(content, "https://x/")  # not refused
    art = extract_article(html, f"{BASE}/nul.html", now=NOW)
    assert art.title == "Ремонт дорог"
    assert art.text.startswith("Подрядчик снова не успел к сроку, а акт уже подписан.")
    assert "\x00" not in art.text
    assert [a.get("href") for a in parse_tree('<a href="/a">1</a>\x00<a href="/b">2</a>').iter("a")] == [
        "/a",
        "/b",
    ]


NO_ARTICLE = {
    "headline": "<h1>Ямы вокруг люков после ремонта</h1>",
    "headline-and-date": "<h1>Ямы вокруг люков после ремонта</h1><div>25.11.2026, 10:00</div>",
    "menu": '<ul><li><a href="/">Главная</a></li><li><a href="/news/">Новости</a></li>'
    '<li><a href="/sport/">Спорт</a></li></ul><h1>Ямы вокруг люков</h1><time>Сегодня, 10:00</time>',
    "breadcrumbs-byline-views": '<div class="breadcrumbs">Главная › Общество</div><h1>Ямы вокруг люков</h1>'
    "<div>Автор: Айгерим Сейтказина</div><div>1 245</div>",
    "footer-class": '<h1>Ямы вокруг люков</h1><div class="site-footer">© 2026 Городской вестник. '
    "Все права защищены. Перепечатка только с разрешения редакции.</div>",
    # date lines: a date and the words that label one (a weekday among them)
    "labelled-date-lines": "<h1>Ямы вокруг люков</h1><div>Опубликовано: 25 ноября 2026 в 10:00</div>"
    "<div>Обновлено 25.11.2026, 14:35</div><div>Пятница, 27 ноября 2026</div>"
    "<div>Posted on 25.11.2026 at 10:00</div><div>Изменено: 25.11.2026</div>",
    "kazakh-date-lines": "<h1>Ямы вокруг люков</h1><div>Жарияланған уақыты: 25.11.2026, 10:00</div>"
    "<div>Жаңартылды: 25 қараша 2026</div><div>Бүгін, 10:00</div>",
    "relative-date-lines": "<h1>Ямы вокруг люков</h1><div>2 часа назад</div><div>Обновлено 3 часа назад</div>"
    "<div>Последнее обновление: 25.11.2026</div><div>2 сағат бұрын</div><div>3 hours ago</div>",
}


@pytest.mark.parametrize("body", NO_ARTICLE.values(), ids=NO_ARTICLE.keys())
def test_a_headline_date_and_site_chrome_are_no_article_text(body: str) -> None:
    art = extract_article(f"<html><body>{body}</body></html>", f"{BASE}/news/5501", now=NOW)
    assert art.title and art.text == ""


# A short news item that is one content word beside a date is news, not a date line; so is a first
# line such as these before the rest of the article (its first lines' dates were trimmed as a date line).
DATED_NEWS = {
    "final": ["Финал — 1 декабря."],
    "nauryz": ["Наурыз мейрамы 21 наурызда."],
    "match": ["Матч перенесли на 3 декабря."],
    "today-in-almaty": ["Сегодня в Алматы ожидается снег."],
    "final-then-tickets": ["Финал — 1 декабря.", "Билеты уже в продаже."],
    "nauryz-then-concert": ["Наурыз мейрамы 21 наурызда.", "Алаңда концерт болады."],
    # hours as a span, not a time ago
    "water-for-3-hours": ["Отключение воды на 3 часа.", "Жителей просят запастись водой."],
}


@pytest.mark.parametrize("lines", DATED_NEWS.values(), ids=DATED_NEWS.keys())
def test_one_word_beside_a_date_is_news_not_a_date_line(lines: list[str]) -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    html = f"<html><body><h1>Ямы вокруг люков</h1><div>25.11.2026, 10:00</div>{paragraphs}</body></html>"
    art = extract_article(html, f"{BASE}/news/5501", now=NOW)
    assert art.text.split("\n") == lines


# A relative time at an article's head is a date line: kept, it would change between two visits of an
# unchanged article (each recheck a new version).
ARTICLE_TEXT = [
    f"Жители дома номер {n} по улице Абая жалуются на ямы у подъездов после ремонта теплотрассы."
    for n in range(5)
]


@pytest.mark.parametrize(
    "stamps",
    [
        ("2 часа назад", "5 часов назад"),
        ("Обновлено 3 часа назад", "Обновлено 1 минуту назад"),
        ("5 минут назад", "2 дня назад"),
        ("2 сағат бұрын", "3 күн бұрын"),
        ("3 hours ago", "an hour ago"),
        ("Последнее обновление: 25.11.2026", "Последнее обновление: 26.11.2026"),
    ],
    ids=["hours", "updated", "minutes-days", "kazakh", "english", "last-updated"],
)
def test_a_relative_time_at_an_articles_head_is_not_its_text(stamps: tuple[str, str]) -> None:
    texts = set()
    for stamp in stamps:  # two visits of one article
        html = (
            '<html lang="ru"><head><meta charset="utf-8"><title>Ямы | Вестник</title></head><body><article>'
            f"<h1>Жители жалуются на ямы</h1><p>{stamp}</p>{''.join(f'<p>{p}</p>' for p in ARTICLE_TEXT)}"
            "</article></body></html>"
        )
        texts.add(extract_article(html, f"{BASE}/news/2026/11/25/yamy-5501.html", now=NOW).text)
    assert texts == {"\n".join(ARTICLE_TEXT)}


@pytest.mark.parametrize(
    "wrapper",
    ['<body class="has-navbar-fixed-top">', '<body><div class="main-menu-open">', '<body><nav class="x">'],
)
def test_a_wrapper_named_like_a_menu_does_not_take_the_article_with_it(wrapper: str) -> None:
    html = (
        f"<html>{wrapper}<h1>Автобус №12 изменил маршрут</h1>"
        "<p>С понедельника автобус ходит по Абая.</p><p>Остановку перенесли.</p></body></html>"
    )
    art = extract_article(html, f"{BASE}/news/5502", now=NOW)
    assert " ".join(art.text.split()) == "С понедельника автобус ходит по Абая. Остановку перенесли."


def test_broken_html_still_parses() -> None:
    html = "<html><head><title>Ремонт</title><body><h1>Ремонт <b>дорог<p>Подрядчик снова не успел к сроку, а акт уже подписан.<div><p>Жители возмущены"
    art = extract_article(html, f"{BASE}/broken.html", now=NOW)
    assert art.title and art.title.startswith("Ремонт")
    assert find_title(parse_tree("<title>Новость дня | Городской вестник</title>")) == "Новость дня"


def test_a_json_ld_block_nested_too_deeply_is_skipped_and_the_rest_of_the_page_counts() -> None:
    deep = '{"@type": "NewsArticle", "headline": ' + "[" * 100_000 + "]" * 100_000 + "}"
    usable = '{"@type": "NewsArticle", "headline": "Аким ответил жителям", "datePublished": "2026-11-20T09:30:00+05:00"}'
    html = (
        f'<html><head><script type="application/ld+json">{deep}</script>'
        f'<script type="application/ld+json">{usable}</script></head>'
        "<body><article><p>"
        + "Жители улицы Абая третью неделю ждут ремонта дороги. " * 8
        + "</p></article></body></html>"
    )
    art = extract_article(html, f"{BASE}/deep.html", now=NOW)
    assert art.title == "Аким ответил жителям"
    assert art.published_at == datetime(2026, 11, 20, 9, 30, tzinfo=PLUS5)
    assert art.text.startswith("Жители улицы Абая третью неделю ждут ремонта дороги.")


def test_extract_cli_prints_the_json_contract() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "extract",
            str(FIXTURES / "article-remont.html"),
            "--url",
            f"{BASE}/x.html",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert {"title", "published_at", "author", "text", "comments"} <= set(data)
    assert data["published_at"] == "2026-11-25T14:35:00+05:00"
    assert {"author", "published_at", "text"} <= set(data["comments"][0])


def test_extract_cli_bad_input_is_one_line_on_stderr(tmp_path: Path) -> None:
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    for target in (str(binary), str(tmp_path / "missing.html")):
        out = subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), "extract", target],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 1
        assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
        assert "Traceback" not in out.stderr


def test_extract_cli_reads_a_page_saved_as_utf16_and_one_with_a_stray_nul(tmp_path: Path) -> None:
    html = load("article-kz.html")
    (tmp_path / "utf16.html").write_bytes(html.encode("utf-16"))  # Windows' "Unicode", with its mark
    (tmp_path / "nul.html").write_bytes(html.replace("<body", "\x00<body", 1).encode("utf-8"))
    for name in ("utf16.html", "nul.html"):
        out = subprocess.run(
            [sys.executable, str(ROOT / "pipeline.py"), "extract", str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(out.stdout)["title"] == "Көшеде түнгі жарық сөнді"


@pytest.mark.shared
def test_quality_bar_on_the_shared_pages() -> None:
    if not (SHARED_PAGES / "ground-truth.json").is_file():
        pytest.skip("../shared/corpora/pages is absent")
    sys.path.insert(0, str(ROOT))
    from bench.score_extraction import score

    summary = score(SHARED_PAGES, in_process=True)["summary"]
    assert summary["body_f1"][0] >= 0.95
    assert summary["title"][0] >= 0.90
    assert summary["date"][0] >= 0.90


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<p>",
                "<li class='comment'>",
                "<h1>",
                "</h1>",
                "<time datetime='2026-11-25'>",
                "<ol>",
                "</li>",
                "<",
                ">",
                "&amp;",
                "\x00",
            ]
        )
        | st.text(alphabet="абвгд әіңғүұқөһ 0123456789.,", max_size=30),
        max_size=40,
    )
)
def test_random_markup_gives_an_article_or_one_parse_error(parts: list[str]) -> None:
    html = "".join(parts)
    try:
        art = extract_article(html, f"{BASE}/random.html", now=NOW)
    except ParseError:
        return
    assert isinstance(art.text, str)
    assert all(c.text for c in art.comments)


def test_extract_cli_fetches_a_url(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/news/a.html").respond_with_data(
        (FIXTURES / "article-kz.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    out = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "extract", httpserver.url_for("/news/a.html")],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["title"] == "Көшеде түнгі жарық сөнді"
    assert [c["author"] for c in data["comments"]] == ["Бауыржан", "Ольга"]
