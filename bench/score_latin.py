"""Score how `normalise` reads Latin letters: Kazakh and Russian typed in Latin found, other text left alone.

Kazakh side: the Kazakh texts of ../shared/data (reviews, news sentences, article openings) without
any Latin letter, written out in informal Latin letters the way people type Kazakh on a phone
(ә→a, қ→k or q, ж→j or zh, ы→y or i, ш→sh ... ; each text picks its variants at random, seeded).
The figure is the share read as Kazakh, by length in words.

Russian side: the Russian texts of ../shared/data (Kursk appeals, crime news, social posts) written
out in translit (ж→zh, х→kh or h, й→y, i or j, щ→sch or shch, ь→' or nothing ...). The figure is the
share read as Russian translit, by length in words; and how many Kazakh texts above are read as
Russian instead.

Other side: Latin-script text that must stay as it is: English (the licence texts of
/usr/share/common-licenses and the package descriptions of the virtual environment), German and
French (the saved pages of ../shared/corpora/pages), as whole paragraphs and as short pieces of 2-8
words like comments. The figures are how many of them are read as Kazakh, and as Russian. All
sides are masked first (URLs, e-mail addresses, mentions), as ``normalise`` does.

    .venv/bin/python bench/score_latin.py [--texts 3000] [--seed 3] [--show 10]

Nothing is copied into the repository; the texts are read where they are.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.normalise import latin_reading, mask, strip_html, without_placeholders  # noqa: E402

SHARED = ROOT.parent / "shared"
KAZAKH_FILES = ("reviews_kk", "kazakh_dev", "kazakh_corruption_dev")
# One Latin spelling per Cyrillic letter, as people type without a Kazakh keyboard...
INFORMAL = {
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    "ы": "y", "ж": "j", "ш": "sh", "щ": "sh", "ч": "ch", "ц": "ts", "х": "h", "й": "i", "у": "u",
    "ю": "yu", "я": "ya", "ё": "yo", "э": "e", "ъ": "", "ь": "", "а": "a", "б": "b", "в": "v",
    "г": "g", "д": "d", "е": "e", "з": "z", "и": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ф": "f",
}  # fmt: skip
# ... except these, where each text picks one of the spellings in use.
VARIANTS = {
    "қ": ("k", "q"),
    "ж": ("j", "zh"),
    "ы": ("y", "i"),
    "ғ": ("g", "gh"),
    "ң": ("n", "ng"),
    "х": ("h", "kh"),
}


def informal_latin(text: str, rng: random.Random) -> str:
    """The text as typed in informal Latin letters, with this text's choice of variants."""
    return _written_out(text, INFORMAL, VARIANTS, rng)


# Russian translit: one spelling per letter, except these, where each text picks one in use.
RUSSIAN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
RUSSIAN_VARIANTS = {
    "х": ("kh", "h"),
    "й": ("y", "i", "j"),
    "щ": ("sch", "shch"),
    "ь": ("", "'"),
    "ц": ("ts", "c"),
}
RUSSIAN_FILES = ("appeals_kursk", "corruption_dev", "ru_social_hard_negatives")


def russian_translit(text: str, rng: random.Random) -> str:
    """The text in translit, with this text's choice of variants."""
    return _written_out(text, RUSSIAN, RUSSIAN_VARIANTS, rng)


def _written_out(
    text: str, spellings: dict[str, str], variants: dict[str, tuple[str, ...]], rng: random.Random
) -> str:
    """Each Cyrillic letter of the text in Latin letters: ``spellings``, except that the text picks
    one of the ``variants`` of a letter and keeps it throughout."""
    table = {**spellings, **{letter: rng.choice(choices) for letter, choices in variants.items()}}
    out = []
    for ch in text:
        latin = table.get(ch.lower())
        if latin is None:
            out.append(ch)
        else:
            out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def reading(text: str) -> str:
    """ "kk", "ru" or "", as normalise reads the text's Latin words."""
    return latin_reading(without_placeholders(mask(text)))


def texts_of(files: tuple[str, ...], lang: str, count: int, rng: random.Random) -> list[str]:
    """Up to ``count`` texts in ``lang`` without a Latin letter, from the shared files, shuffled."""
    texts = []
    for name in files:
        with (SHARED / "data" / f"{name}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row.get("lang") == lang and not re.search(r"[A-Za-z]", row["text"]):
                    texts.append(row["text"])
    rng.shuffle(texts)
    return texts[:count]


def by_length(texts: list[str], wanted: str) -> tuple[float, dict[str, list[bool]], list[str]]:
    """(share read as ``wanted``, the same per length bucket, the texts missed)."""
    buckets: dict[str, list[bool]] = {"1-3 words": [], "4-8 words": [], "9+ words": []}
    missed = []
    for text in texts:
        words = len(text.split())
        found = reading(text) == wanted
        buckets["1-3 words" if words <= 3 else "4-8 words" if words <= 8 else "9+ words"].append(found)
        if not found:
            missed.append(text)
    return sum(map(sum, buckets.values())) / max(len(texts), 1), buckets, missed


def other_texts(rng: random.Random) -> tuple[list[str], list[str]]:
    """(paragraphs, short pieces) of English, German and French text."""
    paragraphs: list[str] = []
    english = list(Path("/usr/share/common-licenses").glob("*"))
    english += list(Path(sys.prefix).glob("lib/python3*/site-packages/*.dist-info/METADATA"))
    for path in sorted(english):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            paragraphs += [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 20]
    for path in sorted((SHARED / "corpora" / "pages").glob("*.html")):
        text = strip_html(path.read_text(encoding="utf-8", errors="replace"))
        paragraphs += [
            p.strip() for p in text.split("\n") if len(p.strip()) > 20 and re.search("[A-Za-z]{3}", p)
        ]
    pieces = []
    for paragraph in paragraphs:
        words = paragraph.split()
        for start in range(0, len(words), 6):
            pieces.append(" ".join(words[start : start + rng.randint(2, 8)]))
    return paragraphs, pieces


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=3000, help="Kazakh, and Russian, texts to write out")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--show", type=int, default=10, help="examples of each kind of miss to print")
    args = parser.parse_args()
    if not (SHARED / "data").is_dir():
        print(f"error: {SHARED / 'data'} is not present: the Kazakh texts come from there", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    kazakh = [informal_latin(text, rng) for text in texts_of(KAZAKH_FILES, "kk", args.texts, rng)]
    russian = [russian_translit(text, rng) for text in texts_of(RUSSIAN_FILES, "ru", args.texts, rng)]
    misses: dict[str, list[str]] = {}
    for name, texts, wanted in (("informal Kazakh Latin", kazakh, "kk"), ("Russian translit", russian, "ru")):
        share, buckets, misses[name] = by_length(texts, wanted)
        print(f"{name} read as such: {share:.1%} of {len(texts)} texts")
        for bucket, found in buckets.items():
            print(f"  {bucket}: {sum(found) / max(len(found), 1):.1%} of {len(found)}")
    as_russian = sum(reading(text) == "ru" for text in kazakh)
    print(f"informal Kazakh Latin read as Russian translit: {as_russian} of {len(kazakh)}")
    paragraphs, pieces = other_texts(rng)
    read = {"paragraphs": [reading(p) for p in paragraphs], "short pieces": [reading(p) for p in pieces]}
    for lang, name in (("kk", "Kazakh"), ("ru", "Russian translit")):
        parts = []
        for kind, readings in read.items():
            wrong = readings.count(lang)
            parts.append(f"{wrong} of {len(readings)} {kind} ({wrong / max(len(readings), 1):.2%})")
        print(f"other Latin text read as {name}: " + ", ".join(parts))
    wrong = [
        t
        for kind, texts in (("paragraphs", paragraphs), ("short pieces", pieces))
        for t, r in zip(texts, read[kind], strict=True)
        if r
    ]
    for label, examples in (
        *((f"missed {name}", texts) for name, texts in misses.items()),
        ("misread", wrong),
    ):
        for text in examples[: args.show]:
            print(f"  {label}: {text[:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
