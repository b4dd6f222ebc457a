"""A body with no charset anywhere (no header charset, no <meta>, no XML declaration) that is not UTF-8:
KOI8-R and ISO-8859-5 pages are told from cp1251 by their letters (collectors.charset_guess); they were
all read as cp1251 and stored as mojibake («рПХБЕР» for «Привет»). Real cp1251 pages, short ones,
Kazakh typed in cp1251 and UTF-8 pages with a few cp1251 bytes keep the reading they had."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from collectors.charset_guess import cyrillic_codec
from collectors.http import HttpClient, decode_body
from collectors.rss import readable_body

RUSSIAN = [
    "Ремонт дороги",
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


@pytest.mark.parametrize("text", RUSSIAN[1:])
def test_an_undeclared_iso_8859_5_page_is_read_as_such(text: str) -> None:
    assert decode_body(page(text).encode("iso-8859-5"), "text/html") == (page(text), "iso-8859-5")


@pytest.mark.parametrize("text", [*RUSSIAN, *KAZAKH_CP1251, "Да", "Ок, жду", "Ё", "№ 5 «Итоги» — всё"])
def test_an_undeclared_cp1251_page_stays_cp1251(text: str) -> None:
    assert decode_body(page(text).encode("cp1251"), "text/html") == (page(text), "cp1251")
    assert decode_body(text.encode("cp1251"), None) == (text, "cp1251")


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
    text = RUSSIAN[3]
    assert decode_body(text.encode("koi8-r"), "text/html; charset=utf-8") == (text, "koi8-r")


def test_a_declared_charset_is_still_what_is_read() -> None:
    text = RUSSIAN[3]
    declared = '<meta charset="windows-1251">' + text
    assert decode_body(declared.encode("cp1251"), None) == (declared, "cp1251")
    assert decode_body(text.encode("koi8-r"), "text/html; charset=koi8-r") == (text, "koi8-r")
    # a page declared cp1251 whose bytes are KOI8-R is read as it says: the declaration is trusted
    assert decode_body(text.encode("koi8-r"), "text/html; charset=windows-1251")[1] == "cp1251"


def test_a_utf8_page_with_cp1251_lines_keeps_its_reading() -> None:
    utf8 = page(" ".join(RUSSIAN[2:4] + RUSSIAN[5:]) * 2)  # no «И»: its UTF-8 holds 0x98, no cp1251 byte
    pasted = "<p>Жалоба из старой системы</p>"
    body = utf8.encode() + pasted.encode("cp1251")  # a few bytes that are not UTF-8: those read as cp1251
    assert decode_body(body, None) == (utf8 + pasted, "utf-8")
    body = utf8.encode() + (pasted * 3).encode("cp1251")  # too many to be strays: cp1251, as before
    assert decode_body(body, None) == (body.decode("cp1251"), "cp1251")


def test_ascii_and_empty_bodies() -> None:
    assert cyrillic_codec(b"") == "cp1251"
    assert cyrillic_codec(b"plain ascii text") == "cp1251"


def test_a_koi8r_page_through_the_client(httpserver: HTTPServer) -> None:
    text = RUSSIAN[2]
    httpserver.expect_request("/koi8").respond_with_data(
        page(text).encode("koi8-r"), content_type="text/html"
    )
    response = HttpClient(sleep=lambda _: None, min_delay=0.0).get(httpserver.url_for("/koi8"))
    assert response.text == page(text) and response.encoding == "koi8-r"


def test_an_undeclared_koi8r_feed_is_read_as_koi8r() -> None:
    feed = f"<rss><channel><item><title>{RUSSIAN[3]}</title></item></channel></rss>"
    assert RUSSIAN[3] in readable_body(feed.encode("koi8-r"), "application/rss+xml").decode("utf-8")
