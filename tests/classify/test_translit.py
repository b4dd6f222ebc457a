"""Russian typed in Latin letters (translit): recognised, mapped to Cyrillic, and other text left alone."""

from __future__ import annotations

import pytest

from classify.normalise import latin_reading, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Na nashei ulitse net sveta uzhe tri dnya, akimat nichego ne delaet",
            "На нашей улице нет света уже три дня, акимат ничего не делает",
        ),
        (
            "Novye doma na ulitse Abaya, kotoryy god bez remonta",
            "Новые дома на улице Абая, который год без ремонта",
        ),
        (
            "Inspektor potreboval vzyatku, chtoby ne pisat' protokol",
            "Инспектор потребовал взятку, чтобы не писать протокол",
        ),
        ("Shchebyon zavezli, a dorogu tak i ne sdelali", "Щебен завезли, а дорогу так и не сделали"),
        ("Zhiteli pishut: moi sosedi tozhe bez vody [url]", "Жители пишут: мои соседи тоже без воды [url]"),
    ],
)
def test_russian_translit_becomes_cyrillic(text: str, expected: str) -> None:
    assert latin_reading(text.replace("[url]", "")) == "ru"
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The road in our village is broken and nobody cares",
        "10. U.S. GOVERNMENT END USERS.",  # single letters are not Russian cues
        "Par Yves Leclercq, le mercredi 15 mai 2019",
        "McCurley, K. S., and Tomlin, J. A.",
        "Lenin i Putin",  # one word of a Russian look is not enough
    ],
)
def test_other_latin_text_is_not_taken_for_russian(text: str) -> None:
    assert latin_reading(text) == ""
    assert normalise(text) == text


def test_kazakh_latin_is_read_first() -> None:
    # «jok» and «jaryq» make it Kazakh; «net» alone would not make it Russian anyway.
    assert latin_reading("Bizdin auylda jaryq jok, su da jok") == "kk"
    assert normalise("Bizdin auylda jaryq jok") == "Біздін ауылда жарық жоқ"
