"""Language of one text: ru, kk, mixed or other.

Script cues decide most texts without a model: the Kazakh letters әғқңөұүһі and common Kazakh words
(also as typed without Kazakh letters: жок, керек, ушин) against common Russian function words.
Only texts with no cue at all (or mostly Latin letters) go to lingua, restricted to a few languages;
lingua ships its own models, nothing is downloaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

from classify.normalise import KAZAKH_LETTERS, has_kazakh_letter, without_placeholders

log = logging.getLogger(__name__)

LANGS = ("ru", "kk", "mixed", "other")

_WORD = re.compile(r"[a-zа-яәғқңөұүһіїєґўàáâäçèéêëíîïñóôöúûüğışūǵńý]+")  # lower-case letters of the region
_CYRILLIC = re.compile(r"[а-яәғқңөұүһі]")

# Frequent Kazakh words, including informal spellings without the Kazakh letters.
KK_WORDS = frozenset(
    [
        "мен",
        "бен",
        "пен",
        "және",
        "жане",
        "бұл",
        "бул",
        "осы",
        "сол",
        "ол",
        "олар",
        "біз",
        "биз",
        "сіз",
        "сиз",
        "сендер",
        "бар",
        "жоқ",
        "жок",
        "емес",
        "үшін",
        "ушин",
        "ушін",
        "керек",
        "деп",
        "еді",
        "еди",
        "екен",
        "болды",
        "болып",
        "болады",
        "болмайды",
        "оте",
        "кушти",
        "казир",
        "кажет",
        "мулдем",
        "бари",
        "нашар",
        "рахмет",
        "керемет",
        "унайды",
        "унады",
        "истемейди",
        "жатыр",
        "келмейди",
        "бермейди",
        "биздин",
        "сиздер",
        "менин",
        "кейин",
        "дейин",
        "баска",
        "кандай",
        "кызмет",
        "акша",
        "деген",
        "бірақ",
        "бирак",
        "сондықтан",
        "сондыктан",
        "неге",
        "қашан",
        "кашан",
        "қалай",
        "калай",
        "қайда",
        "кайда",
        "кім",
        "ким",
        "де",
        "ма",
        "ме",
        "ба",
        "бе",
        "па",
        "пе",
        "ғой",
        "гой",
        "ғана",
        "гана",
        "тек",
        "әлі",
        "али",
        "жоғары",
        "төмен",
        "үйде",
        "уйде",
        "үй",
        "уй",
        "көп",
        "коп",
        "аз",
        "жаман",
        "жақсы",
        "жаксы",
        "жасады",
        "жасау",
        "береді",
        "береди",
        "алды",
        "алады",
        "тұрғындар",
        "тургындар",
        "әкім",
        "аким",
        "әкімдік",
        "акимдик",
        "әкімшілік",
        "ауыл",
        "ауданы",
        "облысы",
        "қала",
        "кала",
        "көше",
        "коше",
        "жол",
        "болса",
        "деді",
        "дейді",
        "дейди",
        "тағы",
        "тагы",
        "енді",
        "енди",
        "әр",
        "бір",
        "бир",
        "барлық",
        "барлык",
        "ешқандай",
        "ешкандай",
        "маған",
        "маган",
        "оған",
        "оган",
        "бізде",
        "бизде",
        "бізге",
        "бизге",
        "мына",
        "мынау",
        "сонда",
        "мұнда",
        "мунда",
        "ауыз",
        "су",
        "суы",
        "жарық",
        "жарык",
    ]
)
# Frequent Russian function words (none of them a Kazakh word).
RU_WORDS = frozenset(
    [
        "и",
        "в",
        "во",
        "не",
        "на",
        "что",
        "с",
        "со",
        "по",
        "это",
        "как",
        "а",
        "но",
        "к",
        "ко",
        "у",
        "за",
        "из",
        "от",
        "о",
        "об",
        "для",
        "уже",
        "так",
        "же",
        "бы",
        "все",
        "всё",
        "мы",
        "вы",
        "они",
        "она",
        "оно",
        "его",
        "ее",
        "её",
        "их",
        "был",
        "была",
        "было",
        "были",
        "есть",
        "нет",
        "когда",
        "где",
        "который",
        "которая",
        "которые",
        "которых",
        "только",
        "еще",
        "ещё",
        "даже",
        "если",
        "или",
        "при",
        "до",
        "после",
        "через",
        "чтобы",
        "очень",
        "тоже",
        "также",
        "этот",
        "эта",
        "эти",
        "этого",
        "этой",
        "там",
        "здесь",
        "сейчас",
        "нам",
        "нас",
        "им",
        "меня",
        "мне",
        "вам",
        "вас",
        "ним",
        "них",
        "нее",
        "неё",
        "ли",
        "ни",
        "без",
        "под",
        "над",
        "между",
        "почему",
        "потому",
        "зачем",
        "кто",
        "чем",
        "тем",
        "того",
        "всех",
        "всем",
        "будет",
        "будут",
        "может",
        "можно",
        "нужно",
        "надо",
        "просим",
        "прошу",
        "года",
        "году",
        "лет",
        "улице",
        "улицы",
        "дом",
        "дома",
        "доме",
        "жители",
        "жителей",
        "вода",
        "воды",
        "свет",
        "света",
        "дорога",
        "дороги",
        "ремонт",
    ]
)


# Word endings of Kazakh typed without the Kazakh letters («бирлигинин», «керек емес», «жасалган»):
# each was found at least 300 times among the 155,000 words of the shared Kazakh texts retyped so, and
# at most once among 350,000 Russian words. Read only in texts with no Kazakh letter and few Russian
# cues, each word of five letters or more with such an ending counts as one Kazakh cue.
KK_ENDINGS = frozenset(
    [
        "тын",
        "кен",
        "дын",
        "агы",
        "нын",
        "сын",
        "лып",
        "лык",
        "тыр",
        "йди",
        "йын",
        "рын",
        "мыз",
        "мын",
        "дык",
        "нша",
        "рып",
        "йин",
        "тып",
        "рде",
        "ыгы",
        "лди",
        "шти",
        "нши",
        "ылы",
        "мыс",
        "миз",
        "кти",
        "тты",
        "мди",
        "зир",
        "гын",
        "сыз",
        "нди",
        "лип",
        "зге",
        "мды",
        "йды",
        "лса",
        "рди",
        "сиз",
        "айы",
    ]
)
# Frequent Kazakh words as typed without the Kazakh letters («еки», «жумыс», «бугин», «ракмет»):
# the most frequent words of the shared Kazakh training texts retyped so that occur in none of the
# 35,000 Russian texts there, less surnames, first names and words that are also Russian («торт»,
# «тонна», «казак»). Each counts as one Kazakh cue, like the words of KK_WORDS.
KK_PLAIN_WORDS = frozenset(
    """
    еки жуз мын жумыс катты отыр бойынша жиырма казакстан онын жыл улкен жалпы алып бугин ишинде
    туралы жылы жер жерде болган алты биринши алеуметтик корытынды жаналыктар барлыгы аркылы
    мемлекеттик келеди жети осындай казирги келген мемлекет откен оны келди жогары тогыз отыз кырык
    жаткан себеби алган ози бурын кезде сегиз арнайы куни мумкин бири келип астам жанагы олардын
    тамаша елу жагдай екинши биыл катысты халык ойткени сонгы басшысы бирнеше берди алуга болатын
    косымша жауап бала бастап комек багасы ягни байланысты алу халыкаралык мамандар типти толык иске
    калды айтып ракмет барып истеп шыкты сиздерге улттык кетти унамады арналган орталык уакытта
    алмай жергиликти тиис екенин сатып халыктын турде соз сай айтты кезинде бугинги турли киын сонын
    жетпис одан уакыт дамди сауда немесе сосын кайта сонымен катар жылдын таза елимиздин берген айта
    казакстаннын билим жуык турады жылдан журген жасалган бирге алгашкы деди барин жас накты манызды
    алдагы болуы болар карсы корсету зор карай мине жылга берип калган орын арасында ойлаймын укимет
    азамат айтуынша облысында бага колик оку балалар токсан белгили сайлау алпыс экономикалык
    ретинде тегин жылда енбек сексен хабар шыккан акпарат зан саяси жасайды мундай алдын мектеп бойы
    жеке елимизде егер жатырмын аса елбасы тиисти мыннан алдым кетеди танда отти букил мынга етип
    каржы елдин медициналык алмайды жеткизу тартып ерекше тиимди казакстанда алайда жумыстары жузеге
    кана хабарлайды мумкиндик аясында жарым асиресе багасына туракты орналаскан колга оннан кейбир
    соны отырган багдарлама узак болек окилдери озинин тикелей адамга басты мысалы дауыс сактау
    негизги камтамасыз когамдык онай турган содан жур арине осылай кажетти кызыкты дегенмен тунгыш
    маселен тилшиси сайкес иши аркасында ири конил халыкка шагын жузден бугинде секилди кез отырмыз
    денсаулык арзан озге буган айтады колдау былтыр канша жай онда шыгады ауыр отбасы жатырмыз
    багдарламасы жазып етеди денгейде адамнын журип жайлы биылгы жоба онирде ариптесим миндетти
    шыгар жасаган орта ишки каланын жумыстарын тауар кунде орталыгы елди казакстандык болмаса койган
    калады балаларга жери казактын истейди шешим женил жеткизди отырып дайын тилшимиз министри
    биркатар маселе негизи карап ашык тусип берем жерден кыз бирден шыгарып жумысын тауып отандык
    каласында ресей мулде кызметкерлери тилинде бурынгы тенгеден берсин озим жерге мешит салу колеми
    бастады тургын шаралар ашып ешким десем адамды корип шетелдик турып орны жагдайы будан жылдам
    жагдайда жетти процентке отип кишкентай беруге орай аскери ушинши былай жумысы осыган тусти
    арбир оларга копбалалы
    """.split()  # noqa: SIM905 (a list literal would take a line per word)
)
_WARNED: list[bool] = []
SAMPLE_CHARS = 800  # the opening of a text is enough to tell its language
_KK_PLAIN = frozenset(w for w in KK_WORDS | KK_PLAIN_WORDS if not has_kazakh_letter(w) and w not in RU_WORDS)
_UKRAINIAN = re.compile(r"[їєґ]")
_KK_LETTER_LIST = tuple(KAZAKH_LETTERS)  # the Kazakh letters, counted one by one with str.count
# Kazakh words typed without the Kazakh letters that are also Russian words or names («аким» is
# Russian in Kazakhstan, «бар», «осы», «де», «Ким»): they count as Kazakh cues, but one of them alone
# does not make a text Kazakh.
_KK_PLAIN_SHARED = frozenset(
    ["аким", "де", "бар", "па", "ма", "али", "бен", "пен", "ким", "осы", "коп", "кала", "бала", "аса", "кана"]
)
# One look-up per word for the word lists (they are disjoint): a Kazakh cue counts 1 (and 1 << 16 more
# when it is also Russian), a Russian cue 1 << 32. At most 800 words: each count stays below 1 << 16.
_SHARED_UNIT = 1 << 16
_RU_UNIT = 1 << 32
_CUES = {
    **dict.fromkeys(_KK_PLAIN, 1),
    **dict.fromkeys(_KK_PLAIN & _KK_PLAIN_SHARED, 1 + _SHARED_UNIT),
    **dict.fromkeys(RU_WORDS, _RU_UNIT),
}


@lru_cache(maxsize=1)
def _cyrillic_detector() -> Any:
    """Russian against Kazakh only: for Cyrillic texts without a cue either way."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.RUSSIAN, Language.KAZAKH).build()


@lru_cache(maxsize=1)
def _detector() -> Any:
    """The lingua detector, built once, restricted to the languages this region writes in."""
    from lingua import Language, LanguageDetectorBuilder

    languages = (
        Language.RUSSIAN,
        Language.KAZAKH,
        Language.ENGLISH,
        Language.UKRAINIAN,
        Language.TURKISH,
        Language.BELARUSIAN,
        Language.MONGOLIAN,
        Language.GERMAN,
    )
    return LanguageDetectorBuilder.from_languages(*languages).build()


def lingua_unused() -> bool:
    """True until this process has built a lingua detector (its Rust thread pool starts with the first
    batch detected; forking is safe only before)."""
    return _cyrillic_detector.cache_info().currsize == 0 and _detector.cache_info().currsize == 0


def _lingua(texts: list[str], *, cyrillic: bool) -> list[str]:
    """Ask lingua about several texts at once (in parallel); anything but ru or kk is ``other``."""
    try:
        detector = _cyrillic_detector() if cyrillic else _detector()
        found = (
            detector.detect_languages_in_parallel_of(texts)
            if len(texts) > 1
            else [detector.detect_language_of(texts[0])]
        )
    except Exception as exc:  # lingua missing or broken: a language id is not worth failing a batch
        if len(texts) > 1 and (_cyrillic_detector if cyrillic else _detector).cache_info().currsize:
            # The detector works but refused the batch: one text it cannot read fails them all, so
            # each is asked alone and only such a text is called other.
            return [lang for text in texts for lang in _lingua([text], cyrillic=cyrillic)]
        if not _WARNED:
            log.warning("lingua could not classify texts (%s); calling them other", exc)
            _WARNED.append(True)
        return ["other"] * len(texts)
    names = [lang.name if lang is not None else "" for lang in found]
    return ["ru" if n == "RUSSIAN" else "kk" if n == "KAZAKH" else "other" for n in names]


def _by_cues(text: str) -> tuple[str, str | None]:
    """(language, None) when script cues decide; else ("", detector) naming which lingua detector to ask."""
    sample = text[:SAMPLE_CHARS].lower()
    if "[" in sample:
        sample = without_placeholders(sample)
    words = _WORD.findall(sample)
    if not words:
        return "other", None
    letters = sum(map(sample.count, _KK_LETTER_LIST))  # each Kazakh letter counts as one Kazakh cue
    latin = sum(map(str.isascii, words))
    cyrillic = len(words) - latin
    cues = sum(map(_CUES.get, words, repeat(0)))
    kk = letters + (cues & (_SHARED_UNIT - 1))
    shared = (cues // _SHARED_UNIT) & (_SHARED_UNIT - 1)  # Kazakh cues that are also Russian words
    ru = float(cues // _RU_UNIT)
    if latin > cyrillic:
        return ("", "all") if latin >= 2 else ("other", None)
    if not letters and ru <= kk + 1:  # maybe Kazakh without its letters: read the endings too
        kk += sum(1 for word in words if len(word) >= 5 and word[-3:] in KK_ENDINGS)
    # No cue, or one Kazakh word typed without Kazakh letters that is also a Russian word or name; one
    # Kazakh word that is not («бугин», «жаксы», «мумкин») and no Russian one decides.
    if ru == 0 and not letters and kk - shared < 1 and kk < 2:
        if _UKRAINIAN.search(sample):
            return "other", None
        return "", "cyrillic"
    if kk and ru:
        share = kk / (kk + ru)
        if min(kk, ru) >= 2 and 0.2 <= share <= 0.8:
            return "mixed", None
        return ("kk" if share > 0.5 else "ru"), None
    return ("kk" if kk else "ru"), None


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ru, kk, mixed or other for each (normalised) text; lingua runs once per batch for the undecided."""
    result: list[str] = []
    ask: dict[str, list[int]] = {"all": [], "cyrillic": []}
    for n, text in enumerate(texts):
        lang, detector = _by_cues(text)
        result.append(lang)
        if detector:
            ask[detector].append(n)
    for detector, positions in ask.items():
        if positions:
            samples = [without_placeholders(texts[n][:1000]).lower() for n in positions]
            for n, lang in zip(positions, _lingua(samples, cyrillic=detector == "cyrillic"), strict=True):
                result[n] = lang
    return result


def detect_language(text: str) -> str:
    """ru, kk, mixed or other for one (normalised) text: script cues first, lingua when they are silent."""
    return detect_languages([text])[0]
