"""Uzbek, Turkish and Azerbaijani in Latin letters are not Kazakh: left as they are, and `other`."""

from __future__ import annotations

import pytest

from classify.lang import detect_languages
from classify.normalise import latin_reading, normalise

# Everyday complaints (roads, water, light, bribes), written for this test.
UZBEK = [
    "Ko'chada suv yo'q, uch kundan beri kutyapmiz",
    "Yo'l juda yomon, ta'mirlash kerak",
    "Ko‘chamizda chiroq yo‘q, hokimiyat javob bermayapti",
    "Suv yoʻq",
    "Hokim pora oldi, bu juda yomon",
    "Mahallada gaz yo`q, bolalar sovuqda qolyapti",
    "Yo'llar buzilgan, hech kim tamirlamayapti",
    "Shifoxonada pora so'rashdi, iltimos yordam bering",
    "Suv kelmayapti, qachon tuzatasizlar?",
    "Bizning qishloqda yo'l yo'q, avtobus ham kelmaydi",
]
TURKISH = [
    "Sokakta su yok, üç gündür bekliyoruz",
    "Yolda çukur var, belediye ne yapıyor?",
    "Memur rüşvet istedi, bu çok kötü",
    "Mahallede elektrik kesildi, kimse ilgilenmiyor",
    "Yollar berbat, asfalt yapılmadı",
    "Okulda su yok, çocuklar susuz kaldı",
]
AZERBAIJANI = [
    "Küçədə su yoxdur, üç gündür gözləyirik",
    "Yol çox pisdir, təmir lazımdır",
    "Məmur rüşvət istədi, heç kim cavab vermir",
    "Bələdiyyə yolları təmir etmir",
    "Evdə işıq yoxdur, qaz da yoxdur",
    "Kəndimizdə içməli su yoxdur",
]
# Kazakh in the 2021 alphabet, informal spellings, and typed with o' for ө and g' for ғ: still Kazakh.
KAZAKH = [
    "Su joq, üş kün boldy, äkımdık jauap bermeidi",
    "Bizdiñ köşede jaryq joq, äkımdık nege jöndemeidı?",
    "zhol zhaman, su jok",
    "su joq",
    "Polisei para surady, bul jemqorlyq",
    "Auylda auyz su joq, äkım eşteñe ıstemeidı",
    "Köşede şūñqyr köp, jol jöndeu kerek",
    "Tūrğyndar üş kün boiy sudan qaldy",
    "Qalamyzda jol öte nashar, şūñqyr tolyp jatyr",
    "O'te jaman jol, kerek emes",
    "Keremet, mag'an u'nady, qazaqsha bar",
]


@pytest.mark.parametrize("text", UZBEK + TURKISH + AZERBAIJANI)
def test_turkic_neighbours_in_latin_letters_stay_latin_and_other(text: str) -> None:
    assert latin_reading(text) == ""
    assert normalise(text) == text
    assert detect_languages([normalise(text)]) == ["other"]


@pytest.mark.parametrize("text", KAZAKH)
def test_kazakh_in_latin_letters_still_mapped_and_kk(text: str) -> None:
    assert latin_reading(text) == "kk"
    mapped = normalise(text)
    assert not any("a" <= ch <= "z" for ch in mapped.lower()), mapped
    assert detect_languages([mapped]) == ["kk"]


def test_uzbek_sign_typed_any_way_joins_the_word() -> None:
    # ʻ ‘ ` are no letters of a Latin word: «ko‘cha» was read as «ko» and «cha», «yo‘q» as a Kazakh «q».
    for sign in "ʻ‘`'’":
        text = f"Ko{sign}chada suv yo{sign}q"
        assert latin_reading(text) == "", sign
        assert normalise(text) == text, sign
