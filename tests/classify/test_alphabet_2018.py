"""Kazakh in the 2018 acute alphabet: ı is и or й, i is і, u is ұ (ý is у).

The 2021 alphabet writes і as ı and и/й as i, and normalise read every text so: «qaıda» came out
«қаіда», «shyǵarylmaıdy» «шығарылмаіды», and «Aqsha qaıda ketti?» scored 0.27 for corruption
against 0.59 for its Cyrillic twin.
"""

from __future__ import annotations

import pytest

from classify.normalise import ACUTE, ACUTE_U, kazakh_alphabet, latin_to_cyrillic, normalise

# (2018 Latin, the same text in Cyrillic)
ACUTE_TEXTS = [
    ("Aqsha qaıda ketti? Jol áli jóndelmegen.", "Ақша қайда кетті? Жол әлі жөнделмеген."),
    ("Aýla toly qoqys, eki aptadan beri shyǵarylmaıdy.", "Аула толы қоқыс, екі аптадан бері шығарылмайды."),
    (
        "Jol jóndeý sapasyz jasalǵan, bir aıda shuńqyr paıda boldy.",
        "Жол жөндеу сапасыз жасалған, бір айда шұңқыр пайда болды.",
    ),
    (
        "Ystyq sý úsh kúnnen beri joq, eshkim jaýap bermeıdi.",
        "Ыстық су үш күннен бері жоқ, ешкім жауап бермейді.",
    ),
    ("Tenderdi ákimniń týysy utyp aldy.", "Тендерді әкімнің туысы ұтып алды."),
    (
        "Kópir qulap qalýy múmkin, tez arada jóndeý kerek.",
        "Көпір құлап қалуы мүмкін, тез арада жөндеу керек.",
    ),
    (
        "Otyz jetinshi avtobýs saǵatyna bir ret júredi, adamdar aıaldamada turady.",
        "Отыз жетінші автобус сағатына бір рет жүреді, адамдар аялдамада тұрады.",
    ),
    (
        "Polıtsııa qyzmetkeri qujattardy qaıtarý úshin aqsha surady.",
        "Полиция қызметкері құжаттарды қайтару үшін ақша сұрады.",
    ),
]


@pytest.mark.parametrize(("latin", "cyrillic"), ACUTE_TEXTS)
def test_2018_alphabet_reads_as_its_cyrillic_twin(latin: str, cyrillic: str) -> None:
    assert normalise(latin) == cyrillic


# The 2021 alphabet (ı = і, i = и/й, u = у, ū = ұ) and informal spellings read as before.
NEW_TEXTS = [
    (
        "Bızdıñ köşede jaryq joq, äkımdık nege jöndemeidı?",
        "Біздің көшеде жарық жоқ, әкімдік неге жөндемейді?",
    ),
    ("Aqşa qaida kettı? Jol älı jöndelmegen.", "Ақша қайда кетті? Жол әлі жөнделмеген."),
    ("Jol buzylgan, akimat nege jondemeidi?", "Жол бузылған, акимат неге жондемейди?"),
]


@pytest.mark.parametrize(("latin", "cyrillic"), NEW_TEXTS)
def test_2021_alphabet_and_informal_spellings_read_as_before(latin: str, cyrillic: str) -> None:
    assert kazakh_alphabet(latin) == 0
    assert normalise(latin) == cyrillic


def test_the_alphabet_is_read_from_the_whole_text() -> None:
    assert kazakh_alphabet("Aqsha qaıda ketti? Jol áli jóndelmegen.") == ACUTE
    assert kazakh_alphabet("Aýla toly qoqys") == ACUTE_U
    # «qaıda» alone holds no 2018 letter: the 2021 reading, unless the caller names the text's alphabet
    assert latin_to_cyrillic("qaıda") == "қаіда"
    assert latin_to_cyrillic("qaıda", ACUTE) == "қайда"
    assert latin_to_cyrillic("bir", ACUTE) == "бір"


def test_u_stays_u_when_the_text_never_writes_y_acute() -> None:
    # Informal spellings with a 2018 letter or two write у as u: «jylu» is жылу, not жылұ.
    assert normalise("Mektepte jylu joq, balalar tońyp otyr") == "Мектепте жылу жоқ, балалар тоңып отыр"
    assert normalise("Kópir qulap qalýy múmkin") == "Көпір құлап қалуы мүмкін"


def test_more_2021_letters_than_2018_ones_keep_the_2021_reading() -> None:
    # One ó among 2021 letters (a phone's autocorrect): ı stays і.
    assert normalise("Bızdıñ köşede jaryq joq, äkımdık nege jóndemeidı?") == (
        "Біздің көшеде жарық жоқ, әкімдік неге жөндемейді?"
    )


def test_spanish_with_acute_letters_is_not_read_as_kazakh() -> None:
    text = "Hola, quería saber cuánto cuesta la consulta"
    assert normalise(text) == text


# Informal Latin with a 2018 letter or two (a phone's long press) writes й as i after a vowel: it was
# read as і («жөнделмеіді»), and the infrastructure report below fell from 0.9978 to 0.26.
INFORMAL_ACUTE = [
    ("Jol jóndelmeidi, ákimdik nege kórmeidi?", "Жол жөнделмейді, әкімдік неге көрмейді?"),
    ("Qaida ketti aqsha? Ákimge suraq", "Қайда кетті ақша? Әкімге сурақ"),
    ("Kúnde osylai, tiri adam joq", "Күнде осылай, тірі адам жоқ"),
    ("Úi-jai joq, kómek kerek", "Үй-жай жоқ, көмек керек"),
    ("Bizde úsh kún boiy su joq", "Бізде үш күн бойы су жоқ"),
]


@pytest.mark.parametrize(("latin", "cyrillic"), INFORMAL_ACUTE)
def test_i_after_a_vowel_is_y_in_the_2018_reading(latin: str, cyrillic: str) -> None:
    assert normalise(latin) == cyrillic


def test_one_acute_letter_in_a_2021_text_keeps_the_2021_reading() -> None:
    # ı between consonants is 2021's і; one ń (a name, a long press) does not make it 2018's и.
    assert kazakh_alphabet("Mektepte jylu joq, bızdıŋ balalar tońyp otyr") == 0
    assert normalise("Mektepte jylu joq, bızdıŋ balalar tońyp otyr").startswith("Мектепте жылу жоқ, біздіŋ")
    # one acute letter beside a 2018 ı («qaıda») still switches
    assert kazakh_alphabet("Jaryq joq, qaıda barý kerek") == ACUTE_U


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        # «уі» is «ýi» in 2018 (its «уй» is «ýı»): the i after ý was read й (review R2C)
        (
            "Onyń kelýi kerek, ekeýi de keldi, bireýi ketti.",
            "Оның келуі керек, екеуі де келді, біреуі кетті.",
        ),
        ("Jol jóndeýi 3 sáýirde bitedi.", "Жол жөндеуі 3 сәуірде бітеді."),
        # «ıi» is 2018 too («tıisti», тиісті; 2021 writes «tiısti»): one acute letter does not keep it 2021
        (
            "Jol jóndelmedi, mınıstrlik tıisti shara qoldanbady.",
            "Жол жөнделмеді, министрлік тиісті шара қолданбады.",
        ),
    ],
)
def test_yi_and_iy_of_the_2018_alphabet(latin: str, cyrillic: str) -> None:
    assert normalise(latin) == cyrillic
