"""Sub-commands of the classifier: classify (JSON lines), train, evaluate.

Heavy libraries (scikit-learn, NumPy, lingua) are imported inside the handlers, so that
``pipeline.py --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classify.stream import CHUNK, classify_stream
from classify.train_card import F1_MARGIN, FPR_MARGIN
from errors import InputError

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
SHIPPED_MODEL = REPO / "models" / "classifier.npz"


def register(subparsers: Any) -> None:
    """Add classify, train and evaluate to the pipeline's sub-commands."""
    p = subparsers.add_parser(
        "classify",
        help="score JSON lines from stdin: corruption and infrastructure",
        description='Reads JSON lines {"id": ..., "text": ...} on stdin and writes each back with lang, scores, '
        "labels and evidence. A bad line gets one error line on stderr (with its number); the others are "
        'classified; the exit status is 1 if any line failed. Example: echo \'{"id": 1, "text": '
        '"Аким требовал взятку"}\' | python pipeline.py classify',
    )
    p.add_argument("--model", type=Path, default=None, help="model file (default: models/classifier.npz)")
    p.add_argument(
        "--workers",
        type=_workers,
        default="auto",
        help="processes that score batches: N worker processes (each loads the model, about a second), or "
        "auto (default): once the input is longer than two batches of "
        f"{CHUNK} lines, one worker per CPU core but one, this process scoring a batch whenever they "
        "are busy; shorter inputs are scored in this process. 1: this process only",
    )
    p.set_defaults(func=_cmd_classify)

    p = subparsers.add_parser(
        "train",
        help="train the classifier and write the model and its card",
        description="Trains on the training split of ../shared/data plus classify/data/*.jsonl (and --extra-jsonl), "
        "evaluates on the development split, then (--ship all) fits again on the training and development rows, "
        "writes the model, models/classifier.card.json and models/CARD.md (for another --out, its "
        "<name>.card.json and <name>.CARD.md beside it, so a candidate leaves the shipped card alone). "
        "Example: python pipeline.py export --format training-jsonl --out decisions.jsonl && "
        "python pipeline.py train --extra-jsonl decisions.jsonl --out models/candidate.npz",
    )
    data = p.add_mutually_exclusive_group()
    data.add_argument(
        "--data",
        type=Path,
        default=None,  # None: not named, DEFAULT_DATA (a folder named, even that one, must exist)
        help="shared labelled data directory (default ../shared/data; when the default is missing, "
        "classify/data and --extra-jsonl only, with a note; a folder named here must exist)",
    )
    data.add_argument(
        "--own-only",
        action="store_true",
        help="train on classify/data (and --extra-jsonl) only, without the shared data",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="model file to write (default: models/classifier.npz, the shipped model; to try a candidate "
        "first, e.g. --out models/candidate.npz; with --take: models/local/classifier.npz, which git "
        "ignores and which is used in place of the shipped model while it is there). Its folder is "
        "checked before training",
    )
    p.add_argument(
        "--extra-jsonl",
        type=Path,
        default=None,
        help="more labelled rows, e.g. reviewer decisions: JSON lines with text and labels {corruption, "
        "infrastructure}, each 0, 1, true, false or null. A bad line refuses the whole file before training "
        "(every bad line named), as does a lang other than kk, ru, mixed, other (or none) and a copies that "
        "is not a positive whole number (train reads each row once); rows repeating a development text are "
        "left out; rows giving a text opposite labels, or the opposite of the shared data's, get a note",
    )
    p.add_argument(
        "--compare-with",
        type=Path,
        default=None,
        metavar="MODEL",
        help="model file (or its <name>.card.json) whose card's development figures the new model's are "
        "printed beside (a figure the card lacks is shown as not in the card), with a WARNING "
        f"line for each Kazakh or Russian F1 that fell by more than {F1_MARGIN} and for a rise of the Kazakh "
        f"reviews' false-positive rate of more than {FPR_MARGIN * 100:.1f} points (default: the model in use, "
        "models/local/classifier.npz when one was taken here, else models/classifier.npz: the model a "
        "candidate would replace)",
    )
    p.add_argument(
        "--take",
        type=Path,
        default=None,
        metavar="MODEL",
        help="train nothing: put a trained model file and its cards (e.g. models/candidate.npz) in place of "
        "--out (default models/local/classifier.npz, the model used here: not in git, so an upgrade keeps "
        "it; the shipped files are left as they are), keeping the replaced ones as "
        "models/local/previous/<version>.npz, .card.json and .CARD.md, the last 3 (training over the "
        "shipped model keeps them in models/previous/). Each file is written "
        "beside its place and renamed over it: a failed write leaves the files in place as they were. A "
        "model already in place is left alone; a card of another model is refused, and so are training options "
        "given with it. The way back: "
        "--take models/local/previous/<version>.npz (or models/classifier.npz, the shipped model), then "
        "restart and reclassify",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed for the folds")
    p.add_argument(
        "--ship",
        choices=("all", "train"),
        default="all",
        help="all (default): after measuring on the development split, fit the same recipe again on the "
        "training and development rows and write that; train: write the fit on the training split",
    )
    p.set_defaults(func=_cmd_train)

    p = subparsers.add_parser(
        "evaluate",
        help="per-label precision/recall/F1 per language on a labelled JSON-lines file",
        description="Scores a labelled JSON-lines file (text + labels {corruption, infrastructure}, null = unknown) "
        "and prints precision, recall and F1 per label and language, plus the false-positive rate on rows "
        "negative for both labels. Example: python pipeline.py evaluate --data ../shared/data/kazakh_dev.jsonl",
    )
    p.add_argument("--data", type=Path, required=True, help="labelled JSON-lines file")
    p.add_argument("--model", type=Path, default=None, help="model file (default: models/classifier.npz)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--dev-only",
        action="store_true",
        help="keep only the rows the training split held out (for ../shared/data files and classify/data)",
    )
    retype = p.add_mutually_exclusive_group()
    retype.add_argument(
        "--letterless",
        action="store_true",
        help="score the Kazakh rows that hold Kazakh letters retyped without them (ә→а, қ→к ...), as on a "
        "Russian keyboard; the other rows are left out",
    )
    retype.add_argument(
        "--partly-letterless",
        action="store_true",
        help="score the Kazakh rows with two or more words holding Kazakh letters retyped without them but "
        "for one or two of those words (the same ones every run), as a phone corrects a word or two; the "
        "other rows are left out",
    )
    p.set_defaults(func=_cmd_evaluate)


def _workers(value: str) -> int | None:
    """``--workers``: a positive number, or ``auto`` (None)."""
    if value == "auto":
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or auto, got {value!r}")
    return number


def auto_workers() -> int:
    """Worker processes for ``--workers auto``: the CPU cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cmd_classify(args: argparse.Namespace) -> int:
    from classify.model import load_model
    from classify.parallel import ParallelScorer
    from classify.stream import Interruption, bounded_lines, fd_lines

    # Started with `<&-` or `>&-`, Python has None there (sys.stdout may be wrapped by pipeline.py).
    closed = [name for name, stream in (("input", sys.stdin), ("output", sys.__stdout__)) if stream is None]
    if closed:
        raise InputError(
            f"standard {' and '.join(closed)} closed: classify reads JSON lines on stdin, writes stdout"
        )
    model = load_model(args.model)  # also checks the file before any worker starts
    stop = Interruption()
    restore = stop.install()
    try:  # from the descriptor, so that a pause in the input is seen (classify.stream)
        lines: Iterator[Any] = fd_lines(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):  # a stdin without a descriptor
        lines = bounded_lines(sys.stdin.buffer)
    try:
        with ExitStack() as stack:
            if args.workers is not None:
                scorer = (
                    stack.enter_context(ParallelScorer(args.model, args.workers))
                    if args.workers > 1
                    else None
                )
                failed = classify_stream(model, lines, sys.stdout, sys.stderr, scorer=scorer, stop=stop)
            else:
                cores = auto_workers()

                def start_workers() -> ParallelScorer:
                    scorer = stack.enter_context(ParallelScorer(args.model, cores - 1, local=model))
                    log.info(
                        "input longer than %d lines: scoring on %d cores (workers started by %s)",
                        2 * CHUNK,
                        cores,
                        scorer.start_method,
                    )
                    return scorer

                auto = start_workers if cores > 1 else None
                failed = classify_stream(model, lines, sys.stdout, sys.stderr, start_workers=auto, stop=stop)
    finally:
        restore()
    if stop.signum:
        return 128 + stop.signum  # as a shell reports a command ended by the signal
    return 1 if failed else 0


def _progress(line: str) -> None:
    """A step of training, on stderr (stdout keeps the result)."""
    print(line, file=sys.stderr, flush=True)


@contextmanager
def _bad_lines_on_stderr() -> Iterator[None]:
    """Each bad line of a labelled file as its own error line on stderr; the summary follows (main)."""
    from classify.dataset import BadLines

    try:
        yield
    except BadLines as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        raise


def _note_trained_on(model: Any, path: Path) -> None:
    """A note on stderr when ``path`` is a file the model was trained on (its card keeps their SHA-256)."""
    from classify.dataset import file_sha256

    files = (model.card.get("training") or {}).get("extra_files") or []
    digest = file_sha256(path)
    for entry in files:
        if entry.get("sha256") == digest:
            print(
                f"note: model {model.version} was trained on this file (--extra-jsonl {entry['name']}), "
                "so these figures are not a test of it",
                file=sys.stderr,
            )


def _note_unknown_langs(rows: Sequence[Any], path: Path) -> None:
    """A note on stderr naming the ``lang`` values that are none of EXTRA_LANGS (a hand-typed "kz"):
    such rows count in the "all" figures only, so the per-language ones would leave them out unsaid."""
    from collections import Counter

    from classify.dataset import EXTRA_LANGS

    unknown = Counter(row.lang for row in rows if row.lang and row.lang not in EXTRA_LANGS)
    if unknown:
        shown = ", ".join(
            f"{json.dumps(lang, ensure_ascii=False)[:20]} ({n})" for lang, n in unknown.most_common(5)
        )
        print(
            f"note: {sum(unknown.values())} rows of {path} have a lang that is none of "
            f"{', '.join(EXTRA_LANGS)}: {shown}; they count in the 'all' figures only",
            file=sys.stderr,
        )


def _cmd_train(args: argparse.Namespace) -> int:
    from classify.evaluate import format_table
    from classify.model import LOCAL_MODEL, default_model
    from classify.train import train
    from classify.train_card import comparison, read_card, take

    if args.take:
        if args.out is None:  # never the shipped files: git pull would refuse to update them
            args.out = LOCAL_MODEL
        unused = [
            option
            for option, given in (
                ("--data", args.data is not None),
                ("--own-only", args.own_only),
                ("--extra-jsonl", args.extra_jsonl is not None),
                ("--compare-with", args.compare_with is not None),
                ("--seed", args.seed != 1),
                ("--ship", args.ship != "all"),
            )
            if given
        ]
        if unused:  # each would be silently ignored: the person meant to train, or to take, not both
            raise InputError(
                f"--take trains nothing, so {', '.join(unused)} would do nothing with it: drop them"
            )
        if not args.take.is_file():
            raise InputError("model file to take not found", path=str(args.take))
        if args.out == LOCAL_MODEL:
            LOCAL_MODEL.parent.mkdir(exist_ok=True)
        taken = take(args.take, args.out, say=_progress)
        if not taken.replaced:
            print(
                f"model {taken.version} is already in place as {args.out}: nothing replaced, kept or removed"
            )
            return 0
        kept = f"; the model it replaced is kept as {taken.kept}" if taken.kept else ""
        print(f"{args.take} (model {taken.version}) is now {args.out}{kept}")
        print("restart the service (it loads the model at start-up), then run `pipeline.py reclassify`")
        return 0
    if args.out is None and LOCAL_MODEL.is_file():
        # the loader prefers the taken model: one trained over the shipped file would never be used
        # (and git pull would then refuse to update the tracked files: review RV4)
        raise InputError(
            f"a model taken here is in use ({LOCAL_MODEL}), so a model written over the shipped file "
            "would not be: train with --out models/candidate.npz and take it (`train --take`)"
        )
    args.out = args.out or SHIPPED_MODEL
    compare = args.compare_with or default_model()
    before = read_card(compare)  # before training: training over the shipped model replaces it
    if before is None and args.compare_with:
        raise InputError(
            "no model card to compare with (a model file with its <name>.card.json or its card inside, "
            "or a <name>.card.json)",
            path=str(compare),
        )
    if args.extra_jsonl and not args.extra_jsonl.is_file():
        raise InputError("extra labelled file not found", path=str(args.extra_jsonl))
    if args.own_only:
        data = None
    elif args.data is not None and not args.data.is_dir():  # named on the command line: never skipped
        what = "a file: --data takes the shared data folder" if args.data.is_file() else "not found"
        raise InputError(f"labelled data folder {what} (--own-only trains without it)", path=str(args.data))
    else:
        data = args.data or (DEFAULT_DATA if DEFAULT_DATA.is_dir() else None)
    if data is None and not args.own_only:
        print(
            f"note: {DEFAULT_DATA} not found; training on classify/data (and --extra-jsonl) only",
            file=sys.stderr,
        )
    with _bad_lines_on_stderr():
        card = train(
            data, args.out, extra=args.extra_jsonl, seed=args.seed, ship=args.ship, progress=_progress
        )
    print(f"model {card['version']} written to {args.out} ({card['artifact_bytes'] / 1e6:.1f} MB)")
    print(f"thresholds: {card['thresholds']}")
    if card.get("dev"):
        print(format_table(card["dev"]["all"]))
        if "reviews_kk_fpr" in card["dev"]:
            print(f"reviews_kk negatives flagged (FPR): {card['dev']['reviews_kk_fpr']['fpr']:.4f}")
    if before is None:
        print(f"note: no model at {compare} to compare with", file=sys.stderr)
        return 0
    lines, warnings = comparison(before, card, str(compare))
    print("\n".join(lines))
    for warning in warnings:  # exit status 0: the model is written; taking it is a person's decision
        print(warning, file=sys.stderr)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from classify.dataset import read_jsonl, require_known_label
    from classify.evaluate import format_table, fpr_on_negatives, metrics
    from classify.model import load_model

    if not args.data.is_file():
        raise InputError("labelled data file not found", path=str(args.data))
    model = load_model(args.model)
    with _bad_lines_on_stderr():
        rows = read_jsonl(args.data, args.data.stem)
    require_known_label(rows, args.data)
    _note_trained_on(model, args.data)
    _note_unknown_langs(rows, args.data)
    if args.dev_only:
        from classify.dataset import OWN_DATA, dev_part

        file = "own" if args.data.resolve().parent == OWN_DATA.resolve() else args.data.stem
        rows = dev_part(rows, file)
        if not rows:
            raise InputError(
                "no held-out rows in this file (its rows are all training rows)", path=str(args.data)
            )
        if model.payload.get("trained_on_dev") and file != "own":
            print(
                f"note: model {model.version} was fitted on the development split too, so these figures "
                "flatter it; `pipeline.py train --ship train --out F` writes a model that was not "
                "(its card holds the held-out figures)",
                file=sys.stderr,
            )
    if args.letterless or args.partly_letterless:
        from classify.dataset import informal_copies, partly_letterless_copies
        from classify.normalise import has_kazakh_letter

        for row in rows:  # a file without "lang": a text with Kazakh letters is Kazakh enough here
            row.lang = row.lang or ("kk" if has_kazakh_letter(row.text) else "")
        rows = informal_copies(rows) if args.letterless else partly_letterless_copies(rows)
        if not rows:
            option, what = (
                ("--letterless", "Kazakh letters")
                if args.letterless
                else ("--partly-letterless", "two or more words with Kazakh letters")
            )
            raise InputError(f"no Kazakh row with {what} to retype ({option})", path=str(args.data))
    predictions = model.classify([r.text for r in rows])
    report = metrics(rows, predictions)
    negatives = fpr_on_negatives(rows, predictions)
    if args.json:
        print(
            json.dumps(
                {"model": model.version, "metrics": report, "negatives": negatives},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        retyped = (
            ", Kazakh rows retyped without Kazakh letters"
            if args.letterless
            else ", Kazakh rows retyped without Kazakh letters but in one or two words"
            if args.partly_letterless
            else ""
        )
        print(f"model {model.version} on {args.data} ({len(rows)} rows{retyped})")
        print(format_table(report))
        print(
            f"negatives flagged (FPR): {negatives['fpr']:.4f} ({negatives['flagged']}/{negatives['negatives']})"
        )
    return 0
