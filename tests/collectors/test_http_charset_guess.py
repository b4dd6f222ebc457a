"""A body with no charset anywhere (no header charset, no <meta>, no XML declaration) that is not UTF-8:
KOI8-R and ISO-8859-5 pages are told from cp1251 by their letters (collectors.charset_guess); they were
all read as cp1251 and stored as mojibake («рПХБЕР» for «Привет»). Real cp1251 pages, short ones,
Kazakh typed in cp1251 and UTF-8 pages with a few cp1251 bytes keep the reading they had."""

from __future__ import annotations

import math

import pytest
from pytest_httpserver import HTTPServer

from collectors.charset_guess import cyrillic_codec, needed_margin, weigh
from collectors.http import HttpClient, decode_body
from collectors.rss import readable_body

RUSSIAN = [
    "Жалоба на яму во дворе",
    "Во дворе дома 12 по улице Абая третий день нет горячей воды.",
    "Жители жалуются, что яма на дороге так и не заделана, хотя заявку подали ещё в мае.",
    "ВНИМАНИЕ! ЗАВТРА С 9:00 ДО 18:00 БУДЕТ ОТКЛЮЧЕНО ЭЛЕКТРИЧЕСТВО В МИКРОРАЙОНЕ",
    "а у нас свет опять отключили, сколько можно терпеть",
    "Подрядчик получил деньги из бюджета, а ремонт школы так и не начался.",
    "Сотрудник отдела земельных отношений задержан при получении взятки.",
]
# Kazakh as typed in cp1251 without Kazakh letters, and with «і» (cp1251 has it)
KAZAKH_CP1251 = [
    "Ауылда уш куннен бері ауыз су жок, тургындар экимдікке шагымданды.",
    "Жол жондеу жумыстары биыл да аякталмады.",
    "Мектептін шатыры агып тур, балалар суыкта окиды.",
]


def page(text: str) -> str:
    return f"<html><head><title>{text[:20]}</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("text", RUSSIAN)
def test_an_undeclared_koi8r_page_is_read_as_koi8r(text: str) -> None:
    assert decode_body(page(text).encode("koi8-r"), "text/html") == (page(text), "koi8-r")
    assert decode_body(text.encode("koi8-r"), None) == (text, "koi8-r")


@pytest.mark.parametrize("text", RUSSIAN)
def test_an_undeclared_iso_8859_5_page_is_read_as_such(text: str) -> None:
    assert decode_body(page(text).encode("iso-8859-5"), "text/html") == (page(text), "iso-8859-5")


@pytest.mark.parametrize("text", [*RUSSIAN, *KAZAKH_CP1251, "Да", "Ок, жду", "Ё", "№ 5 «Итоги» — всё"])
def test_an_undeclared_cp1251_page_stays_cp1251(text: str) -> None:
    assert decode_body(page(text).encode("cp1251"), "text/html") == (page(text), "cp1251")
    assert decode_body(text.encode("cp1251"), None) == (text, "cp1251")


# cp1251 that KOI8-R or ISO-8859-5 read «better» by a letter or two: small letters read as KOI8-R are
# capitals and cost next to nothing, so one rare letter («ъ», Kazakh «і») tipped a word or two;
# «°» and «µ» of cp1251 are ISO-8859-5's frequent «А» and «Е» ("+25А", "35 Еg")
SHORT_OR_SYMBOLS_CP1251 = [
    "4й подъезд.",
    "ПОДЪЕЗД",
    "ПВХ",
    "ГРЩ 3",
    "Білі",
    "5-й ПОДЪЕЗД 7",
    "Б ПОДЪЕЗД 2",
    "<p>Частицы PM2.5: 35 µg, PM10: 50 µg, NO2: 20 µg, SO2 10 µg, CO 5 µg</p>",
    "<p>Погода в Алматы</p>" + "<td>+25°</td>" * 40,
    "<p>Температура воды +18°C, воздуха +25°C, ветер 5 м/с</p>" * 3,
]


@pytest.mark.parametrize("text", SHORT_OR_SYMBOLS_CP1251)
def test_short_or_symbol_heavy_cp1251_stays_cp1251(text: str) -> None:
    assert decode_body(text.encode("cp1251"), "text/html") == (text, "cp1251")
    assert decode_body(page(text).encode("cp1251"), None) == (page(text), "cp1251")


def test_no_switch_on_two_words_and_a_growing_margin_below_a_sentence() -> None:
    # two words are too little to leave cp1251 on: a real KOI8-R body of two words stays cp1251
    # (mojibake), the price of never reading a cp1251 one wrong
    assert needed_margin(2) == math.inf
    assert needed_margin(3) > needed_margin(5) > needed_margin(8) == needed_margin(50) > 0
    text = "Ремонт дороги"
    assert decode_body(text.encode("koi8-r"), None) == (text.encode("koi8-r").decode("cp1251"), "cp1251")
    # a page repeating a word is one word of evidence, not forty
    assert weigh(("<td>дороги</td>" * 40).encode("koi8-r"))[0] == 1


def test_kazakh_letters_in_kz1048_keep_the_cp1251_reading() -> None:
    # Kazakh letters where cp1251 has Serbian and Ukrainian ones («Ә» is «Ј», «ң» «ѕ»): the reading
    # stays what it was (cp1251), not KOI8-R's box drawing
    text = "Қала тұрғындары жаңа аялдаманың салынуын сұрады. Әкімдік жауап бермеді."
    body = text.encode("kz1048")
    assert decode_body(body, None) == (body.decode("cp1251"), "cp1251")


def test_latin1_text_keeps_the_cp1251_reading() -> None:
    body = "Café crème à la française, schöne Grüße".encode("latin-1")
    assert decode_body(body, None) == (body.decode("cp1251"), "cp1251")


def test_a_page_declared_utf8_that_is_koi8r_is_read_as_koi8r() -> None:
    text = RUSSIAN[2]
    assert decode_body(text.encode("koi8-r"), "text/html; charset=utf-8") == (text, "koi8-r")


def test_a_declared_charset_is_still_what_is_read() -> None:
    text = RUSSIAN[2]
    declared = '<meta charset="windows-1251">' + text
    assert decode_body(declared.encode("cp1251"), None) == (declared, "cp1251")
    assert decode_body(text.encode("koi8-r"), "text/html; charset=koi8-r") == (text, "koi8-r")
    # a page declared cp1251 whose bytes are KOI8-R is read as it says: the declaration is trusted
    assert decode_body(text.encode("koi8-r"), "text/html; charset=windows-1251")[1] == "cp1251"


def test_a_utf8_page_with_cp1251_lines_keeps_its_reading() -> None:
    utf8 = page(" ".join(RUSSIAN[1:3] + RUSSIAN[4:]) * 2)  # no «И»: its UTF-8 holds 0x98, no cp1251 byte
    pasted = "<p>Жалоба из старой системы</p>"
    body = utf8.encode() + pasted.encode("cp1251")  # a few bytes that are not UTF-8: those read as cp1251
    assert decode_body(body, None) == (utf8 + pasted, "utf-8")
    body = utf8.encode() + (pasted * 3).encode("cp1251")  # too many to be strays: cp1251, as before
    assert decode_body(body, None) == (body.decode("cp1251"), "cp1251")


def test_ascii_and_empty_bodies() -> None:
    assert cyrillic_codec(b"") == "cp1251"
    assert cyrillic_codec(b"plain ascii text") == "cp1251"
    # bytes cp1251 has no letter for (0x98) are weighed, not raised on: a binary body
    assert cyrillic_codec(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10) in ("cp1251", "iso-8859-5")


def test_a_koi8r_page_through_the_client(httpserver: HTTPServer) -> None:
    text = RUSSIAN[1]
    httpserver.expect_request("/koi8").respond_with_data(
        page(text).encode("koi8-r"), content_type="text/html"
    )
    response = HttpClient(sleep=lambda _: None, min_delay=0.0).get(httpserver.url_for("/koi8"))
    assert response.text == page(text) and response.encoding == "koi8-r"


def test_an_undeclared_koi8r_feed_is_read_as_koi8r() -> None:
    feed = f"<rss><channel><item><title>{RUSSIAN[2]}</title></item></channel></rss>"
    assert RUSSIAN[2] in readable_body(feed.encode("koi8-r"), "application/rss+xml").decode("utf-8")
