"""Comments in other Latin-script languages are not Kazakh: left as typed, and `other`.

A public Facebook page gets comments in any language; their ç, á, ñ, ş, ı, ə and words such as
«para» are Kazakh cues too, and such comments were mapped to Cyrillic and called `kk`.
"""

from __future__ import annotations

import pytest

from classify.lang import detect_languages
from classify.normalise import latin_reading, normalise

# Everyday comments (greetings, thanks, questions about an account or a price), written for this test;
# each was read as Kazakh before.
COMMENTS = [
    "Olá, alguém sabe como faço para mudar a senha da minha conta?",  # Portuguese
    "Merhaba, sayfamı profile nasıl çevirebilirim?",  # Turkish
    "Kardeşlerimize selam olsun",
    "Hesabıma giremiyorum yardım eder misiniz",
    "Harika bir paylaşım teşekkür ederim",
    "Çox sağ olun, gözəl məlumatdır",  # Azerbaijani
    "Qiyməti nə qədərdir?",
    "Bakıdan salamlar hamıya",
    "Mənə kömək edin zəhmət olmasa",
    "Əla paylaşım, təşəkkürlər",
    "Qoyil, zo'r ish qilibsizlar",  # Uzbek
    "C’est ça",  # French, with the ’ a phone types (review)
]
# Comments that were already `other`: they must stay so.
ALREADY_OTHER = [
    "Hola, quería saber cuánto cuesta la consulta",  # Spanish
    "Buenas tardes, necesito ayuda con mi cuenta por favor",
    "Ciao, come posso cambiare la mia pagina in profilo?",  # Italian
    "Bonjour, comment faire pour changer ma page en profil ?",  # French
    "Dzień dobry, jak mogę zmienić stronę na profil?",  # Polish
    "Hello, how can I change my page to a profile?",
    "Hallo, wie kann ich meine Seite in ein Profil ändern?",
]
# Kazakh in Latin letters (2021 alphabet, 2018 acute letters, informal phone spellings): still Kazakh.
KAZAKH = [
    "su joq",
    "jol buzylgan",
    "para surady",
    "Akim para surady",
    "Bizdiñ köşede jaryq joq, äkımdık nege jöndemeidı?",
    "Ótinish, jol jóndeńizder",
    "Jol buzylgan, akimat nege jondemeidi?",
    "Mektepte jylu joq, balalar tońyp otyr",
    "Alla razı bolsın",  # «разы» typed with ı, as a Turkish keyboard writes ы (review)
]


@pytest.mark.parametrize("text", COMMENTS + ALREADY_OTHER)
def test_comments_in_other_latin_languages_stay_latin_and_other(text: str) -> None:
    assert latin_reading(text) == ""
    assert normalise(text) == " ".join(text.split())
    assert detect_languages([normalise(text)]) == ["other"]


@pytest.mark.parametrize("text", KAZAKH)
def test_kazakh_in_latin_letters_is_still_kazakh(text: str) -> None:
    assert latin_reading(text) == "kk"
    assert detect_languages([normalise(text)]) == ["kk"]


def test_russian_translit_is_still_russian() -> None:
    text = "na nashei ulitse net sveta uzhe tri dnya"
    assert latin_reading(text) == "ru"
    assert detect_languages([normalise(text)]) == ["ru"]
