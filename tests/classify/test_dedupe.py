"""Near-duplicate signatures and clusters: republished stories join, different stories do not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classify import dedupe
from classify.dedupe import (
    _BOILERPLATE_WORDS,
    CASE_ODD,
    assign_clusters,
    core,
    distance,
    is_boilerplate,
    normalise,
    signature,
    signatures,
    signed,
    unsigned,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
STORY = (FIXTURES / "agency_story.txt").read_text(encoding="utf-8")

# the same agency story as two portals republish it: their own dateline, credits and footer
PORTAL_A = (
    "АСТАНА. 25 ноября. Городской вестник.\n"
    + STORY
    + "\nФото: пресс-служба акимата.\nПодписывайтесь на наш Telegram-канал, чтобы первыми узнавать новости города."
)
PORTAL_B = (
    "Новости региона | 25.11.2026, 14:35\n"
    + STORY.replace("ё", "е").replace("тенге,", "тенге —")
    + "\nИсточник: региональное информационное агентство.\nЧитайте также: в городе откроют три новых парка.\nЖазылыңыз: біздің WhatsApp арнамыз."
)
OTHER_STORY = (
    "В городе открыли новую поликлинику на пятьсот посещений в смену в микрорайоне Северный. "
    "Строительство здания заняло два года и велось за счёт средств местного бюджета и государственной программы. "
    "В поликлинике будут работать терапевты, педиатры, стоматологи и кабинет ранней диагностики заболеваний. "
    "Жители соседних районов смогут прикрепиться к новой поликлинике через портал электронного правительства. "
    "Главный врач рассказал, что запись к специалистам откроется с первого декабря, а лаборатория заработает в январе."
)
COMPLAINT = "Кто принимал ремонт на улице Абая? Через две недели вокруг люков снова ямы, деньги списали, а наказаний никаких."


def test_normalisation() -> None:
    assert normalise("Ёлка, «ЁЖ» — и   ещё: 5%!") == ["елка", "еж", "и", "еще", "5"]
    assert normalise("Қала әкімдігі: жарық жоқ!") == ["қала", "әкімдігі", "жарық", "жоқ"]


def test_republished_story_lands_in_one_cluster() -> None:
    a, b = signature(PORTAL_A), signature(PORTAL_B)
    assert distance(a, b) <= 3
    clusters = assign_clusters([("b", b)], [("a", a, "a")])
    assert clusters == {"b": "a"}


def test_boilerplate_is_not_part_of_the_core() -> None:
    words = " ".join(core(PORTAL_A))
    assert "подписывайтесь" not in words and "фото" not in words and "астана" not in words
    assert "комиссия осмотрела двенадцать улиц" in words


def test_different_stories_stay_apart() -> None:
    assert distance(signature(PORTAL_A), signature(OTHER_STORY)) > 10
    clusters = assign_clusters([("x", signature(OTHER_STORY))], [("a", signature(PORTAL_A), "a")])
    assert clusters == {"x": "x"}


def test_the_same_complaint_posted_twice() -> None:
    twice = "кто принимал ремонт на улице Абая? через две недели вокруг люков снова ямы — деньги списали, а наказаний никаких!!"
    other = "На улице Абая вечером не горят фонари, дети возвращаются из школы в темноте, просим разобраться."
    new = [("c1", signature(COMPLAINT)), ("c2", signature(twice)), ("c3", signature(other))]
    assert assign_clusters(new, []) == {"c1": "c1", "c2": "c1", "c3": "c3"}


def test_cluster_id_is_the_first_members_key_and_is_kept() -> None:
    sig = signature(STORY)
    existing = [("s1", sig, "s0")]  # s1 joined a cluster founded by s0 earlier
    assert assign_clusters([("s2", signature(PORTAL_A))], existing) == {"s2": "s0"}


def test_empty_text_stands_alone() -> None:
    assert signature("") == 0 and signature(" ,.! ") == 0
    assert assign_clusters([("e1", 0), ("e2", 0)], [("x", 0, "x")]) == {"e1": "e1", "e2": "e2"}


def test_a_flood_of_copies_is_compared_once_per_text_not_once_per_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 500,000 copies of 18 texts (a forwarded message, a spam comment) were compared each with every
    # earlier copy in its buckets: hours of work. Each text is now kept once in the index.
    calls = []
    real = dedupe.distance
    monkeypatch.setattr(dedupe, "distance", lambda a, b: calls.append(1) or real(a, b))
    texts = [STORY, COMPLAINT, OTHER_STORY]
    first = {signature(text): f"k{i}" for i, text in enumerate(texts)}
    near = signature(STORY) ^ 0b101  # the story edited a little: 2 bits from it
    new = [(f"k{i}", signature(texts[i % 3])) for i in range(3000)] + [("edited", near)]
    clusters = assign_clusters(new, [("old", signature(STORY), "old")])
    assert {clusters[f"k{i}"] for i in range(0, 3000, 3)} == {"old"}  # the cluster known before
    assert {clusters[f"k{i}"] for i in range(1, 3000, 3)} == {first[signature(COMPLAINT)]}
    assert clusters["edited"] == "old"
    assert len(calls) < 100  # one scan for each text not seen before (each copy took thousands)


def test_max_distance_must_fit_the_band_index() -> None:
    with pytest.raises(ValueError):
        assign_clusters([("a", 1)], [], max_distance=4)


def test_signature_is_stable_and_64_bit() -> None:
    assert signature(STORY) == signature(STORY)
    assert 0 < signature(STORY) < 1 << 64


def test_signatures_do_not_change_between_versions() -> None:
    # Stored signatures are compared with new ones for 30 days: the values must never move.
    assert signature(STORY) == 0xB57B25E8FC50FC32
    assert signature(COMPLAINT) == 0x40644CB81284190E
    assert signature("Жарық жоқ") == 0x922EAD3D91CB1E86  # a core of two words: one shingle
    assert signature("Лифт") == 0xAF2543419723FAB1


def test_many_texts_at_once_match_one_by_one() -> None:
    texts = [STORY, "", "Лифт", " ,.! ", COMPLAINT, "Жарық жоқ", PORTAL_A, "три слова тут", OTHER_STORY] * 3
    assert signatures(texts) == [signature(text) for text in texts]
    assert signatures([]) == []


def test_the_word_hash_cache_stays_bounded_and_signatures_do_not_move(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A scheduler signs every batch's texts for months: the cache of word hashes must not grow
    # without end, and starting it again must not change a signature.
    monkeypatch.setattr(dedupe, "WORD_HASH_CACHE", 50)
    monkeypatch.setattr(dedupe, "SHINGLES_PER_PASS", 20)
    expected = [signature(text) for text in (STORY, COMPLAINT, OTHER_STORY)]
    dedupe._WORD_HASHES.clear()
    texts = [f"слово{n} другое{n} третье{n} четвертое{n}" for n in range(200)]
    for start in range(0, 200, 40):
        signatures(texts[start : start + 40])
        assert len(dedupe._WORD_HASHES) <= 50 + 20 * 4
    assert signatures([STORY, COMPLAINT, OTHER_STORY]) == expected
    assert signature(STORY) == 0xB57B25E8FC50FC32


def test_boilerplate_is_found_in_any_case() -> None:
    for sentence in (
        "ПОДПИСЫВАЙТЕСЬ на наш канал, там все новости города и области.",
        "Подписывайтесь на наш ınstagram, там все новости города и области каждый день.",  # dotless ı
        "Фото: пресс-служба акимата области и городского отдела полиции.",
        "Толығырақ біздің İnstagram парақшамызда оқыңыз, жаңалықтар күн сайын.",
    ):
        assert is_boilerplate(sentence), sentence
    assert not is_boilerplate("В городе открыли новую поликлинику на пятьсот посещений в смену.")


def test_case_odd_characters_are_all_listed() -> None:
    # Every character that IGNORECASE matches to a letter of the boilerplate words although
    # str.lower() does not turn it into that letter (or the other way round) must be in CASE_ODD,
    # or the fast lower-case search would answer differently from the IGNORECASE one.
    letters = sorted({c for c in _BOILERPLATE_WORDS if c.isalpha()})
    folded = re.compile("[" + "".join(letters) + "]", re.IGNORECASE)
    odd = {
        chr(cp)
        for cp in range(0x110000)
        if (folded.fullmatch(chr(cp)) is not None) != (chr(cp).lower() in letters)
    }
    assert odd == set(CASE_ODD)


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_signed_round_trip(sig: int) -> None:
    assert -(1 << 63) <= signed(sig) < 1 << 63
    assert unsigned(signed(sig)) == sig
    assert distance(sig, signed(sig)) == 0


@given(st.integers(min_value=1, max_value=(1 << 64) - 1), st.sets(st.integers(0, 63), max_size=3))
def test_band_index_finds_every_signature_within_three_bits(sig: int, flips: set[int]) -> None:
    other = sig
    for bit in flips:
        other ^= 1 << bit
    if other == 0:
        return
    assert assign_clusters([("n", other)], [("o", sig, "o")]) == {"n": "o"}


def test_headline_glued_to_the_text_does_not_split_the_cluster() -> None:
    # the batch signs "title text"; one portal adds a dateline after the headline, the other does not
    title = "Комиссия нашла ямы вокруг люков после ремонта дорог"
    first = signature(title + " " + STORY)
    second = signature(
        title + " " + "ОСКЕМЕН, 25 ноября. Облыс жаңалықтары.\n" + STORY + "\nПодписывайтесь на наш канал."
    )
    assert distance(first, second) <= 3
    assert distance(first, signature("Другой заголовок о парке " + OTHER_STORY)) > 10
