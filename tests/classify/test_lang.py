"""Language identification: script cues first, lingua when they are silent."""

from __future__ import annotations

import pytest

from classify.lang import detect_language, detect_languages
from classify.normalise import normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("На улице Абая огромная яма, машины бьют колеса, просим отремонтировать.", "ru"),
        ("Көшеде жарық жоқ, балалар қараңғыда жүреді.", "kk"),
        ("Жок, керек емес, биз ушин бари бир", "kk"),
        # Kazakh typed without Kazakh letters, short («Оте кушти» had no cue word, and lingua said ru).
        ("Оте кушти", "kk"),
        ("Казир мулдем истемейди", "kk"),
        ("Кызмет нашар, акша жатыр", "kk"),
        # One cue word, Russian loanwords and Kazakh endings («-нын», «-тин»): lingua said ru.
        ("Поликлиниканын терапевти жок", "kk"),
        ("Офистин кондиционери истемейди", "kk"),
        # Russian words with those endings stay Russian («сын», «доллар», «тенге»).
        ("Мой сын ходит в школу номер сорок, там холодно в классах", "ru"),
        # One frequent Kazakh word typed without Kazakh letters and no Russian cue: lingua said ru.
        ("Бирак ушу кестесине озгеристер енгизилуи мумкин.", "kk"),
        ("Казирги кунде оздеринизге малим", "kk"),
        ("Ески спорткомплекс, багасы кымбат", "kk"),
        # One Kazakh word that is also Russian («аким», «бар», «осы») does not decide alone.
        ("Аким обещал починить дорогу", "ru"),
        ("Бар закрыт", "ru"),
        ("Курс доллара вырос, тенге падает, цены на хлеб растут", "ru"),
        ("Неше күн су жоқ, үйде ешкім жоқ, воды нет третий день, и акимат не реагирует на это", "mixed"),
        ("This application is great and it works well", "other"),
        ("12345 !!!", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_kazakh_latin_is_kazakh_after_normalisation() -> None:
    assert detect_language(normalise("Bızdıñ köşede jaryq joq, äkımdık nege jöndemeidı?")) == "kk"


def test_russian_text_with_kazakh_street_name_is_russian() -> None:
    assert detect_language("На улице Әуезова третий день нет света, когда это закончится?") == "ru"


def test_batch_matches_single() -> None:
    texts = ["Сломана скамейка", "Жарық жоқ", "hello world again", "Автобус не ходит"]
    assert detect_languages(texts) == [detect_language(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[url] [url] [user] жок керек", "kk"),  # placeholders are not Latin words
        ("[url] [url] [url] [email] воды нет уже неделю", "ru"),
        ("Жол [url] жоқ, воды нет, и акимат молчит", "mixed"),
    ],
)
def test_placeholders_are_not_cues(text: str, expected: str) -> None:
    assert detect_language(text) == expected
