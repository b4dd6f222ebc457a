"""Score how an undeclared, non-UTF-8 body's code page is told (``collectors.charset_guess``): Russian
and Kazakh texts of 20-5000 characters, each encoded in cp1251, KOI8-R and ISO-8859-5, and Kazakh also
in KZ-1048 (its letters, read as cp1251, are the Serbian and Ukrainian «stray» letters a Kazakh page
typed in cp1251 shows: such pages must stay cp1251, as before). The figure is the share of right
choices, by code page and length, beside charset-normalizer's and the old rule's (always cp1251); then
how many cp1251 fragments of 1-6 words are read as another code page (it must be none).

Texts: those of ../shared/data (read where they are, nothing copied) when it is there, else
sentences written here. Kazakh letters that a code page lacks are typed as people type them
without a Kazakh keyboard (ә→а, қ→к, ү→у…), punctuation KOI8-R lacks («», —, №) as ASCII.

    .venv/bin/python bench/score_charset.py [--texts 500] [--seed 5] [--show 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collectors.charset_guess import cyrillic_codec  # noqa: E402
from collectors.http_body import decode_body  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
RU_FILES = ("appeals_kursk", "appeals_spb", "ru_social_hard_negatives")
KK_FILES = ("kazakh_sentences", "reviews_kk")
RU_OWN = [
    "Во дворе дома №12 по улице Абая третий день нет горячей воды.",
    "Жители жалуются, что яма на дороге так и не заделана, хотя заявку подали ещё в мае.",
    "Аким района пообещал разобраться, но ничего не изменилось.",
    "ВНИМАНИЕ! Завтра с 9:00 до 18:00 будет отключено электричество.",
    "Сотрудник отдела земельных отношений задержан при получении взятки в размере 500 тысяч тенге.",
    "а у нас свет опять отключили, сколько можно терпеть",
    "Подрядчик получил деньги из бюджета, а ремонт школы так и не начался.",
    "Прорыв трубы на перекрёстке затопил подвалы двух домов.",
    "Спасибо коммунальщикам, быстро откликнулись и всё починили!",
    "В суде огласили приговор бывшему руководителю управления строительства.",
    "Автобус №25 не ходит по расписанию, люди мёрзнут на остановке по часу.",
    "Кто-нибудь знает, когда дадут отопление в микрорайоне Северный?",
]
KK_OWN = [
    "Ауылда үш күннен бері ауыз су жоқ, тұрғындар әкімдікке шағымданды.",
    "Жол жөндеу жұмыстары биыл да аяқталмады.",
    "Облыстық сот бұрынғы әкімнің орынбасарына үкім шығарды.",
    "Мектептің шатыры ағып тұр, балалар суықта оқиды.",
    "Пара алған шенеунік қамауға алынды.",
    "Көшедегі шамдар жанбайды, кешке жүру қорқынышты.",
    "Жылу беру маусымы қазан айының ортасында басталады.",
    "Қала тұрғындары жаңа аялдаманың салынуын сұрады.",
]
KK_PLAIN = str.maketrans("әғқңөұүһӘҒҚҢӨҰҮҺ", "агкноуухАГКНОУУХ")  # typed without Kazakh letters
KOI8_PUNCT = str.maketrans({"«": '"', "»": '"', "—": "-", "–": "-", "№": "N", "…": "...", "і": "i", "І": "I"})


def texts(names: tuple[str, ...], own: list[str]) -> list[str]:
    found = []
    for name in names:
        path = SHARED / f"{name}.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as lines:
                found += [json.loads(line)["text"] for line in lines if line.strip()]
    return found or own


def sample(pool: list[str], rng: random.Random) -> str:
    """A text of 20-5000 characters (log-uniform), of texts of ``pool`` one after another; a tenth in
    capitals, a tenth in small letters (chat)."""
    size = round(10 ** rng.uniform(1.3, 3.7))
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        parts.append(rng.choice(pool))
    text = " ".join(parts)[:size]
    roll = rng.random()
    return text.upper() if roll < 0.1 else text.lower() if roll < 0.2 else text


def encoded(text: str, codec: str, kazakh: bool) -> bytes:
    if codec == "kz1048":
        return text.encode("kz1048", "replace")
    if kazakh:
        text = text.translate(KK_PLAIN)
    if codec == "koi8-r":
        text = text.translate(KOI8_PUNCT)
    return text.encode(codec, "replace")


def normalizer(content: bytes) -> str:
    """charset-normalizer's choice, for comparison (it comes with requests; the rule does not use it)."""
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    name = best.encoding if best else "none"
    return {"koi8_r": "koi8-r", "iso8859_5": "iso-8859-5", "cp1251": "cp1251"}.get(name, name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=500, help="texts per language and code page")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--show", type=int, default=5, help="wrong choices shown")
    parser.add_argument("--no-normalizer", action="store_true", help="skip charset-normalizer (slow)")
    args = parser.parse_args()
    if not args.no_normalizer and importlib.util.find_spec("charset_normalizer") is None:
        args.no_normalizer = True
    rng = random.Random(args.seed)
    pools = {"ru": texts(RU_FILES, RU_OWN), "kk": texts(KK_FILES, KK_OWN)}
    print(f"texts: ru {len(pools['ru'])}, kk {len(pools['kk'])} ({'shared' if SHARED.exists() else 'own'})")
    cases = [("ru", c, c) for c in ("cp1251", "koi8-r", "iso-8859-5")]
    cases += [("kk", c, c) for c in ("cp1251", "koi8-r", "iso-8859-5")] + [("kk", "kz1048", "cp1251")]
    right: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    shown = 0
    spent = 0.0
    for lang, codec, expected in cases:
        for _ in range(args.texts):
            text = sample(pools[lang], rng)
            content = encoded(text, codec, lang == "kk")
            page = b"<html><head><title>t</title></head><body><p>" + content + b"</p></body></html>"
            try:
                page.decode("utf-8")
                continue  # ASCII only after all: nothing to tell
            except UnicodeDecodeError:
                pass
            bucket = "20-99" if len(text) < 100 else "100-999" if len(text) < 1000 else "1000-5000"
            started = time.perf_counter()
            _, got = decode_body(page, "text/html")
            spent += time.perf_counter() - started
            rule = got if got != "utf-8" else cyrillic_codec(page)
            key = (lang, codec, bucket)
            right[key][0] += 1
            right[key][1] += rule == expected
            if not args.no_normalizer:
                right[key][2] += normalizer(page) == expected
            if rule != expected and shown < args.show:
                shown += 1
                print(f"  wrong: {lang} {codec} read as {rule}: {text[:70]!r}")
    print(f"{'lang':4} {'encoded':11} {'length':10} {'n':>5} {'rule':>7} {'old':>7} {'normalizer':>10}")
    totals = [0, 0, 0, 0]
    for (lang, codec, bucket), (n, ok, norm) in sorted(right.items()):
        old = n if codec in ("cp1251", "kz1048") else 0
        totals = [totals[0] + n, totals[1] + ok, totals[2] + old, totals[3] + norm]
        figure = "-" if args.no_normalizer else f"{norm / n:.1%}"
        print(f"{lang:4} {codec:11} {bucket:10} {n:5} {ok / n:7.1%} {old / n:7.1%} {figure:>10}")
    n, ok, old, norm = totals
    figure = "-" if args.no_normalizer else f"{norm / n:.1%}"
    print(f"{'all':27} {n:5} {ok / n:7.1%} {old / n:7.1%} {figure:>10}")
    print(f"decode_body: {spent / n * 1000:.2f} ms a page on average")
    fragments(pools, rng, args.texts * 4, args.show)


def fragments(pools: dict[str, list[str]], rng: random.Random, count: int, show: int) -> None:
    """cp1251 bodies of 1-6 words (as typed and in capitals): a switch away from cp1251 on so little
    is a wrong one (a word of a Kazakh text, «ПОДЪЕЗД», «ПВХ»), and must not happen."""
    wrong = total = 0
    for lang, pool in pools.items():
        for _ in range(count):
            words = rng.choice(pool).split()
            size = rng.randint(1, 6)
            start = rng.randrange(max(1, len(words) - size + 1))
            fragment = " ".join(words[start : start + size])
            for text in (fragment, fragment.upper()):
                content = text.encode("cp1251", "replace")
                if content.isascii():
                    continue
                total += 1
                got = decode_body(content, None)[1]
                if got not in ("cp1251", "utf-8"):  # utf-8: bytes that are UTF-8 (http_body's rule)
                    wrong += 1
                    if wrong <= show:
                        print(f"  wrong: {lang} cp1251 fragment read as {got}: {text[:70]!r}")
    print(f"cp1251 fragments of 1-6 words read as another code page: {wrong} of {total}")


if __name__ == "__main__":
    main()
