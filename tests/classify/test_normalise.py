"""Normalisation: HTML, NFC, ё, Kazakh Latin to Cyrillic, masks."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from classify.normalise import latin_reading, latin_to_cyrillic, looks_kazakh_latin, normalise


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


def test_kazakh_latin_informal_known_by_its_endings() -> None:
    # None of these has a Kazakh letter; before, only one common word each was recognised.
    assert normalise("Trotuar salynbagan, adamdar jolmen jurip jur, qauipti") == (
        "Тротуар салынбаған, адамдар жолмен журип жур, қауйпти"
    )
    for text in (
        "Lift istemeidi bir aidan beri, KSK jauap bermeidi",  # negated present -meidi
        "Kosheni jondegen kompaniya sapasyz jasady, asfalt birden buzyldy",  # -syz, -yldy
        "Akimdiktin kyzmetkeri para surady",  # a common word and -ady
        "Avtobus ote siirek juredi, aialdamada eki sagat turdyk",  # -edi, -dyk
    ):
        assert looks_kazakh_latin(text), text
        assert not any("a" <= ch <= "z" for ch in normalise(text).lower()), text


def test_latin_lookalikes_inside_cyrillic_words_become_cyrillic() -> None:
    # Typed with a Latin i for і, a Latin a, c, C, p, m: the words would match nothing otherwise.
    assert normalise("Парақор қызметкерi үшiн министр жауап бере ме?") == (
        "Парақор қызметкері үшін министр жауап бере ме?"
    )
    assert normalise("Cломался замок, нет acфальта, по нopmам") == "Сломался замок, нет асфальта, по нормам"
    # A Latin letter without a Cyrillic lookalike: the word is left as it was typed.
    assert normalise("Жаңа iPhoneға ақша жоқ, Qазақстан") == "Жаңа iPhoneға ақша жоқ, Qазақстан"
    assert normalise("Ok, рахмет [url]жол WhatsApp-та") == "Ok, рахмет [url]жол WhatsApp-та"


def test_latin_schwa_and_e_diaeresis_inside_cyrillic_words_become_cyrillic() -> None:
    # The Latin schwa (U+0259, U+018F) is how many keyboards give ә; the tokeniser would otherwise cut
    # «дəмді» into «д» and «мді». A Latin ë in a Russian word is ё, and so е.
    assert normalise("Тағамдары дəмді емес. Əжетхана тазалығы нашар, мə") == (
        "Тағамдары дәмді емес. Әжетхана тазалығы нашар, мә"
    )
    assert normalise("Во дворе ëлка, а в подъезде темно") == "Во дворе елка, а в подъезде темно"
    # In Kazakh typed in Latin letters it is ä: the whole text goes to Cyrillic.
    assert normalise("Bizdiñ köşede jol joq, ərine") == "Біздің көшеде жол жоқ, әріне"
    # Outside Cyrillic and Kazakh Latin it stays as typed.
    assert normalise("Hello world ə") == "Hello world ə"


def test_other_latin_text_is_not_taken_for_kazakh() -> None:
    for text in (
        "Sredi nas odin chelovek znaet pravdu",  # Russian translit: -edi, -din
        "Vzyatki berut vse, nagrady dayut svoim",  # Russian translit: -ady
        "Lenin i Putin",  # surnames in -nin, -tin
        "Um kommentieren zu können, müssen Sie Abonnent sein.",  # umlauts, German function words
        "Par Yves Leclercq, le mercredi 15 mai 2019",  # "q", and -edi in a French weekday
        "The Qatar delegation and the Iraqi minister met in Almaty",  # two "q" cues, three English words
        "Already ready, the lady said",
    ):
        assert not looks_kazakh_latin(text), text
        # Russian translit is mapped as Russian (classify/translit.py); the rest stays as it is.
        assert normalise(text) == text or latin_reading(text) == "ru", text
    assert normalise("Vzyatki berut vse, nagrady dayut svoim") == "Взятки берут все, награды дают своим"


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


def test_spaces_collapse_and_lines_are_stripped() -> None:
    assert normalise("a\u00a0\u00a0b\n\n  c\t d  ") == "a b\nc d"
    assert normalise("  Жол  жоқ \n  су   жоқ  ") == "Жол жоқ\nсу жоқ"
    assert normalise("<p>Жарық</p>  <p>жоқ</p>") == "Жарық\nжоқ"


def test_every_url_marker_is_masked() -> None:
    text = "Сілтеме: http://a.kz/x және www.b.ru/y, WWW.C.COM/z http://d.kz"
    assert normalise(text) == "Сілтеме: [url] және [url], [url] [url]"
    assert normalise("Жазыңыз @ivan_petrov немесе www.akimat.kz, [url] емес") == (
        "Жазыңыз [user] немесе [url], [url] емес"
    )


def test_latin_words_next_to_placeholders_are_mapped() -> None:
    assert latin_to_cyrillic("[url]jol [phone] joq, qala") == "[url]жол [phone] жоқ, қала"
    assert normalise("bizdıñ [url]köşede [phone] jaryq joq") == "біздің [url]көшеде [phone] жарық жоқ"


def test_placeholders_alone_do_not_make_a_text_latin() -> None:
    # "url" and "user" are the only Latin letters left after masking: nothing to map.
    assert normalise("Жазыңыз @ivan_petrov, https://a.kz") == "Жазыңыз [user], [url]"


def test_q_before_u_is_not_a_kazakh_letter() -> None:
    assert not looks_kazakh_latin("quick queue quiz")
    assert looks_kazakh_latin("Qala men Qazaq")


_SPACE_CHARS = " \t\r\n\u00a0\u2009\u3000\u200b\x0b"


@given(st.text(alphabet=st.sampled_from(list(_SPACE_CHARS) + list("жолjoq@.:/7+-()")), max_size=120))
def test_no_runs_of_spaces_or_odd_spaces_survive(text: str) -> None:
    out = normalise(text)
    assert "  " not in out and "\n\n" not in out
    assert not any(ch in out for ch in "\t\r\u00a0\u2009\u3000\u200b\x0b")
    assert all(line == line.strip() and line for line in out.split("\n")) or out == ""


def test_hashed_phone_mentions_are_masked_whole() -> None:
    # The WhatsApp importer writes a mention of a phone number as @phone:<16 hex>: the hex digits are
    # no words («abcdef» would read as Latin text), so the whole mention is one [user].
    text = "@phone:0123456789abcdef жарық жоқ, @phone:fedcba9876543210 біледі"
    assert normalise(text) == "[user] жарық жоқ, [user] біледі"
