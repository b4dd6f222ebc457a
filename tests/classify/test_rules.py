"""Keyword-rule conjunctions used as features."""

from __future__ import annotations

import numpy as np

from classify.rules import CLASSES, NEAR, fire, near_problem, token_classes, topic_near_problem


def _classes(token: str) -> set[str]:
    """The classes a lower-cased token counts as, read as typed with the Kazakh letters."""
    mask = token_classes(token)
    return {name for bit, name in enumerate(CLASSES) if mask >> bit & 1}


def test_topic_and_problem_in_both_languages() -> None:
    assert "topic_problem" in fire("Көшеде жарық жоқ")
    assert "topic_problem" in fire("Во дворе нет горячей воды")
    assert "topic_problem" not in fire("Жаңа жол ашылды")


def test_bribery_apart_from_anti_corruption_talk() -> None:
    assert fire("Инспектор требовал взятку") == ["bribe", "bribe_not_anti", "official_bribe"]
    assert "bribe_not_anti" not in fire("Сыбайлас жемқорлыққа қарсы семинар өтті")
    assert fire("В парке прошел концерт") == []
    # How citizens say it without the word «взятка»: a racket («крышует»), «отблагодарить», an envelope.
    assert "bribe_not_anti" in fire("Участковый крышует точку с паленым алкоголем")
    assert "bribe_not_anti" in fire("Медсестры прямо просили отблагодарить")
    assert "bribe_not_anti" in fire("Технадзор подписал за конверт")
    assert fire("Крышу над подъездом починили") == []  # a roof, not a racket


def test_two_word_phrases_count_only_when_adjacent() -> None:
    # «пара» is a bribe in Kazakh only next to "take/give"; alone it is also Russian "pair".
    assert "bribe" in fire("Қызмет барысында пара алғаны үшін маман істі болды")
    assert fire("Прошло пара дней, и ничего") == []
    assert "bribe" not in fire("Пара маман алғаш рет келді")  # «пара» and «ал...» not adjacent
    assert "bribe" in fire("Сөйтсе бәрін тамыр-танысы барлар алады екен")
    assert "bribe" in fire("Инспектору дали на лапу")
    assert "bribe" in fire("Кто подписал акт приёмки этой дороги?")


def test_a_bribery_phrase_is_a_rule_of_its_own() -> None:
    # In the shared Kazakh rows a bribery phrase is an allegation 19 times in 23, a bribery word
    # alone 34 times in 70 (it is also the word of anti-corruption news).
    assert "bribe_phrase" in fire("Сөйтсе бәрін тамыр-танысы барлар алады екен")
    assert "bribe_phrase" in fire("Өз мансабын асыра пайдаланған")
    assert "bribe_phrase" in fire("Инспектору дали на лапу")
    assert "bribe_phrase" not in fire("Сыбайлас жемқорлыққа қарсы семинар өтті")
    assert "bribe_phrase" not in fire("Мансабын пайдаланды, асыра сілтеді")  # not adjacent
    assert "bribe_phrase" not in fire("Бұл көпқабатты үй сыр берген")  # a phrase of failure


def test_phrase_can_be_a_failure() -> None:
    assert "topic_problem" in fire("Бұл көпқабатты үй сыр берген")
    assert "topic_problem" not in fire("Бұл көпқабатты үй биыл салынды")


def test_kazakh_words_that_are_mostly_something_else_are_no_bribe() -> None:
    # «талан» alone began «талант» (talent), «жеп» is "eating" in reviews of cafés: 5 and 15 of the
    # shared Kazakh negatives, 1 and 0 positives. «талан-тараж» still counts, as a phrase.
    assert fire("Талантты балаларға арналған байқау өтті") == []
    assert fire("Тамақты жеп көрдім, өте дәмді") == []
    assert "bribe" in fire("Мемлекет қаражатын талан-таражға салды")
    assert "bribe" in fire("Жолға бөлінген ақшаны жеп қойған")  # next to money it is embezzling


def test_stealing_is_told_apart_by_whose_money() -> None:
    assert "steal_public" in fire("В акимате чиновники воруют")
    assert "steal_public" in fire("Мемлекет қаражатын ұрлады")
    assert fire("Вор вынес из квартиры три миллиона рублей") == ["steal_private"]
    assert "bribe" not in fire("Көршісінің көлігін ұрлады")


def test_words_added_for_kazakh_news_failures() -> None:
    assert "topic_problem" in fire("Мектеп ғимаратында дәретхана жоқ, балалар далаға шығуға мәжбүр")
    assert "topic_problem" in fire("Пәтерлерде жылу тоқтады")
    assert "topic_problem" in fire("Газдың бағасы қымбаттады")
    assert "topic_problem" not in fire("Мектеп ғимараты салынды")


def test_kazakh_typed_without_kazakh_letters_only_when_read_so() -> None:
    text = "Кошеде шункыр коп, жарык жок"  # «Көшеде шұңқыр көп, жарық жоқ» on a Russian keyboard
    assert "topic_problem" in fire(text, letterless=True)
    assert fire("Бюджетти урлады", letterless=True) == ["steal_public"]
    # The same words in a text read as written do not count: «урлады», «шункыр» are not Kazakh spelling.
    assert fire("Бюджетти урлады") == []
    assert fire("Шункыр") == []
    assert fire("Шункыр", letterless=True) == []  # a road word alone is no complaint


def test_a_residents_request_is_a_problem_word() -> None:
    # «Please repair the pothole in the street», «we ask you to install a light»: the request implies the defect.
    assert fire("Көшедегі шұңқырды жөндеңіздер") == ["topic_problem", "topic_problem_near"]
    assert fire("Аулаға шам орнатуды сұраймыз") == ["topic_problem", "topic_problem_near"]
    assert fire("Кошедеги шункырды жондениздер", letterless=True) == ["topic_problem", "topic_problem_near"]
    # A request about something that is no infrastructure is no rule: «please fix the app».
    assert fire("Қосымшаны жөндеңіздер") == []
    assert fire("Құжатты тезірек беруіңізді сұраймыз") == []


def test_topic_near_problem_needs_the_failure_word_within_the_window() -> None:
    assert "topic_problem_near" in fire("Көшеде жарық жоқ")
    assert "topic_problem_near" in fire("Во дворе уже третий день нет горячей воды")
    # The water came two years ago; the «жоқ» at the end is about her joy, 7 tokens from «су».
    text = "Екі жыл бұрын үйіне су кіргізілгенде Таңшолпан Оспанованың қуанышында шек болған жоқ."
    assert "topic_problem" in fire(text) and "topic_problem_near" not in fire(text)
    assert "topic_problem_near" in fire(text, window=7)
    assert NEAR == 5


def test_near_problem_stays_within_each_document() -> None:
    topic, problem = 1 << CLASSES.index("topic"), 1 << CLASSES.index("problem")
    # document 0: topic, 6 plain words, problem; document 1: problem, then topic at once.
    classes = np.asarray([topic, 0, 0, 0, 0, 0, 0, problem, problem, topic], dtype=np.int64)
    starts = np.asarray([0, 8, 10])
    near = near_problem(classes, starts, 2)
    assert near.tolist() == [False] * 5 + [True] * 5
    assert topic_near_problem(classes, starts, near).tolist() == [False, True]
    # The window never reaches over a document's end: position 7's failure word is not near 9.
    assert near_problem(classes, np.asarray([0, 8, 9, 10]), 1).tolist()[-1] is False


def test_every_class_and_phrase_bit_fits_the_featurisers_signed_masks() -> None:
    from classify.rules import LETTERLESS_SHIFT, PHRASE_BIT, PHRASES, token_classes

    half = (1 << (PHRASE_BIT + 2 * len(PHRASES))) - 1  # every bit a token can set, in each half
    full = half | (half << LETTERLESS_SHIFT)
    # The featuriser's cache stores masks as int64 (np.fromiter): the fullest mask must go in and come
    # out unchanged; with one phrase more (bit 63 set) it raised OverflowError mid-training.
    assert np.fromiter([full], dtype=np.int64, count=1)[0] == full
    assert 0 < token_classes("пайдаланды") <= full


def test_words_that_only_begin_like_a_class_word_are_not_of_it() -> None:
    # Beginnings that matched other words, counted in the shared and our own texts: «асырап алған»
    # (adopted) and «отбасын асырау» (to feed a family) were bribery, «алдында» (before) and
    # «қарсылас» (opponent) anti-corruption talk, «халықаралық» (international) public money,
    # «электронды» (electronic) and «жолдасы» (his friend), «жолданды» (was sent) infrastructure,
    # «суық» (cold weather) a water word, «өрт сөндірушілер» (firemen) a failure.
    assert fire("Америкалық отбасы асырап алған ер адам ата-анасын іздеп жүр") == []
    assert fire("Ол отбасын асырау үшін екі жерде жұмыс істейді") == []
    assert "bribe_not_anti" in fire("Сот алдында шенеунік пара алғанын мойындады")
    assert "public" not in _classes("халықаралық")
    assert "public" in _classes("халықтың")
    assert fire("Ал солтүстік өңірлерде суық ауа райы тұрақты") == []
    assert fire("Іс сотқа жолданды, жолдасы куә болды") == []
    assert fire("Электронды кезек жүйесі іске қосылды") == []
    assert fire("Өрт сөндірушілер үйдегі өртті сөндірді") == []
    assert "topic_problem" in fire("Ауылдың суы жоқ, жолдары бұзылған")
    assert "topic_problem" in fire("Көшеде электр жарығы сөнді")
    assert "bribe" in _classes("асыра")  # alone it is the phrase's first word («асыра пайдаланды»)
    assert "bribe" not in _classes("парасат")  # wisdom; «парасын» (his bribe) stays
    assert "bribe" in _classes("парасын")
    assert "official" not in _classes("следовательно")
    assert "official" in _classes("следователь")
    assert "steal" not in _classes("тоназыткыштагы")  # a fridge, typed without the letters
    assert "steal" in _classes("тонаған")


def test_abuse_is_corruption_only_of_office() -> None:
    # «злоупотребл» alone was a bribery word, so a Lenta report of a killer whose victims «злоупотребляли
    # алкоголем» was corruption; abuse of powers, of office or of trust is a bribery phrase now.
    assert "bribe_phrase" in fire("Чиновник злоупотребил должностными полномочиями")
    assert "bribe" in fire("Возбуждено дело о злоупотреблении служебным положением")
    assert fire("Соседи злоупотребляли алкоголем") == []
    assert "bribe" not in fire("Он злоупотреблял спиртным и не работал")
