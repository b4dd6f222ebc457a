"""Normalisation: HTML, NFC, ё, Kazakh Latin to Cyrillic, masks."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from classify.normalise import latin_to_cyrillic, looks_kazakh_latin, normalise


def test_html_and_entities_are_stripped() -> None:
    raw = '<div><p>Жол &amp; <b>шұңқыр</b></p><script>var x = "секрет";</script><!-- note --></div>&nbsp;бар'
    assert normalise(raw) == "Жол & шұңқыр\nбар"
    assert "секрет" not in normalise(raw)
    assert "<" not in normalise(raw)


def test_yo_becomes_ye_and_nfc() -> None:
    assert normalise("Ёлка ещё") == "Елка еще"
    decomposed = unicodedata.normalize("NFD", "йод Әуезов")
    assert normalise(decomposed) == "йод Әуезов"


def test_urls_mentions_emails_phones_masked() -> None:
    text = "Пишите https://example.kz/a?b=1 или @ivan_petrov, тел. +7 (701) 123-45-67, 8 777 123 45 67, a.b@mail.ru"
    assert normalise(text) == "Пишите [url] или [user], тел. [phone], [phone], [email]"


def test_numbers_and_dates_are_not_phones() -> None:
    assert normalise("152 миллион теңге, 25.11.2026 14:35") == "152 миллион теңге, 25.11.2026 14:35"


def test_kazakh_latin_2021_alphabet() -> None:
    assert normalise("Bızdıñ köşede jaryq joq, äkımdık nege jöndemeidı?") == (
        "Біздің көшеде жарық жоқ, әкімдік неге жөндемейді?"
    )


def test_kazakh_latin_informal() -> None:
    assert normalise("jemqorlyq pen para alu") == "жемқорлық пен пара алу"
    assert normalise("zhol zhaman, su jok") == "жол жаман, су жоқ"


def test_english_and_russian_with_codes_stay_latin() -> None:
    assert normalise("I like this app, it works") == "I like this app, it works"
    assert normalise("Секция Q1, 4 этаж, не пришел qr-код") == "Секция Q1, 4 этаж, не пришел qr-код"
    assert not looks_kazakh_latin("Wood Rock Bar")


def test_placeholders_survive_latin_mapping() -> None:
    assert latin_to_cyrillic("[url] jol") == "[url] жол"


@given(st.text(max_size=200))
def test_normalise_is_total_and_idempotent(text: str) -> None:
    once = normalise(text)
    assert isinstance(once, str)
    assert normalise(once) == once or "&" in text or "<" in text
