"""Score the Kazakh-Latin detection of `normalise`: informal Kazakh found, other Latin text left alone.

Kazakh side: the Kazakh texts of ../shared/data (reviews, news sentences, article openings) without
any Latin letter, written out in informal Latin letters the way people type Kazakh on a phone
(ә→a, қ→k or q, ж→j or zh, ы→y or i, ш→sh ... ; each text picks its variants at random, seeded).
The figure is the share that ``looks_kazakh_latin`` recognises, by length in words.

Other side: Latin-script text that must stay as it is: English (the licence texts of
/usr/share/common-licenses and the package descriptions of the virtual environment), German and
French (the saved pages of ../shared/corpora/pages), as whole paragraphs and as short pieces of 2-8
words like comments. The figure is how many of them are taken for Kazakh. Both sides are masked
first (URLs, e-mail addresses, mentions), as ``normalise`` does.

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

from classify.normalise import looks_kazakh_latin, mask, strip_html, without_placeholders  # noqa: E402

SHARED = ROOT.parent / "shared"
KAZAKH_FILES = ("reviews_kk", "kazakh_dev", "kazakh_corruption_dev")
# One Latin spelling per Cyrillic letter, as people type without a Kazakh keyboard...
INFORMAL = dict(
    zip(
        "әғқңөұүһіыжшщчцхйуюяёэъьабвгдезиклмнопрстф",
        [
            "a",
            "g",
            "k",
            "n",
            "o",
            "u",
            "u",
            "h",
            "i",
            "y",
            "j",
            "sh",
            "sh",
            "ch",
            "ts",
            "h",
            "i",
            "u",
            "yu",
            "ya",
            "yo",
            "e",
            "-",
            "-",
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "z",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "f",
        ],
        strict=True,
    )
)
INFORMAL = {k: "" if v == "-" else v for k, v in INFORMAL.items()}
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
    table = {**INFORMAL, **{letter: rng.choice(spellings) for letter, spellings in VARIANTS.items()}}
    out = []
    for ch in text:
        latin = table.get(ch.lower())
        if latin is None:
            out.append(ch)
        else:
            out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def judged(text: str) -> bool:
    return looks_kazakh_latin(without_placeholders(mask(text)))


def kazakh_texts(count: int, rng: random.Random) -> list[str]:
    texts = []
    for name in KAZAKH_FILES:
        with (SHARED / "data" / f"{name}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row.get("lang") == "kk" and not re.search(r"[A-Za-z]", row["text"]):
                    texts.append(row["text"])
    rng.shuffle(texts)
    return texts[:count]


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
    parser.add_argument("--texts", type=int, default=3000, help="Kazakh texts to write out in Latin letters")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--show", type=int, default=10, help="examples of each kind of miss to print")
    args = parser.parse_args()
    if not (SHARED / "data").is_dir():
        print(f"error: {SHARED / 'data'} is not present: the Kazakh texts come from there", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    latin = [informal_latin(text, rng) for text in kazakh_texts(args.texts, rng)]
    buckets: dict[str, list[bool]] = {"1-3 words": [], "4-8 words": [], "9+ words": []}
    missed = []
    for text in latin:
        words = len(text.split())
        found = judged(text)
        buckets["1-3 words" if words <= 3 else "4-8 words" if words <= 8 else "9+ words"].append(found)
        if not found:
            missed.append(text)
    total = sum(map(sum, buckets.values()))
    print(f"informal Kazakh Latin recognised: {total / len(latin):.1%} of {len(latin)} texts")
    for name, found in buckets.items():
        print(f"  {name}: {sum(found) / max(len(found), 1):.1%} of {len(found)}")
    paragraphs, pieces = other_texts(rng)
    wrong_paragraphs = [p for p in paragraphs if judged(p)]
    wrong_pieces = [p for p in pieces if judged(p)]
    print(
        f"other Latin text taken for Kazakh: {len(wrong_paragraphs)} of {len(paragraphs)} paragraphs", end=""
    )
    print(f" ({len(wrong_paragraphs) / max(len(paragraphs), 1):.2%}),", end=" ")
    print(
        f"{len(wrong_pieces)} of {len(pieces)} short pieces ({len(wrong_pieces) / max(len(pieces), 1):.2%})"
    )
    for label, examples in (("missed Kazakh", missed), ("taken for Kazakh", wrong_paragraphs + wrong_pieces)):
        for text in examples[: args.show]:
            print(f"  {label}: {text[:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
