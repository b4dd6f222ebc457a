"""Clustering and classification after collection, in one process or two."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import batch.stages as stages
from collectors.item import Item
from store.db import reader, writer
from store.items import upsert_items

STORY = (
    "Акимат объявил тендер на ремонт уличного освещения в трёх микрорайонах города. "
    "Победителем стала компания, зарегистрированная за месяц до конкурса, сумма договора превышает миллиард тенге. "
    "Жители спрашивают, почему цена фонаря оказалась вдвое выше рыночной."
)


def items() -> list[Item]:
    when = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    out = [
        Item(source="portal-a", kind="article", external_id="a1", text=STORY, published_at=when),
        Item(
            source="portal-b",
            kind="article",
            external_id="b1",
            text="Усть-Каменогорск. " + STORY + " Подписывайтесь на наш канал.",
            published_at=when,
        ),
        Item(
            source="portal-a",
            kind="comment",
            external_id="a1#c1",
            parent="a1",
            text="Кто принял эту работу? Фонари не горят.",
            published_at=when,
        ),
    ]
    out += [
        Item(
            source="chat",
            kind="message",
            external_id=f"m{i}",
            text=f"Сообщение номер {i}: на улице {i} нет света уже {i} дней",
            published_at=when,
        )
        for i in range(12)
    ]
    return out


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with writer(path) as con:
        upsert_items(con, items())
    return path


def clusters(path: Path) -> dict[str, str]:
    with reader(path) as con:
        return dict(con.execute("SELECT source || '|' || external_id, cluster_id FROM items").fetchall())


def test_two_processes_give_what_one_gives(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    monkeypatch.setattr(stages, "PARALLEL_SIGNATURES", 1)  # force the worker process
    clustered, result = stages.analyse_pending(db)
    assert clustered == 15 and result.scored == 15 and result.model_version
    assert stages.cluster_pending(copy) == 15
    assert clusters(db) == clusters(copy)
    got = clusters(db)
    assert got["portal-b|b1"] == got["portal-a|a1"]  # the republished story joins the original
    assert got["portal-a|a1#c1"] != got["portal-a|a1"]
    assert stages.analyse_pending(db)[0] == 0  # nothing left to sign


def test_new_items_find_their_clusters_as_a_scan_of_the_whole_window_would(tmp_path: Path) -> None:
    # Only the window's items that share a 16-bit band with a new signature are read (a column scan
    # instead of every item in Python): the clusters must be those a search of the whole window gives.
    import random

    from classify.dedupe import assign_clusters

    rng = random.Random(7)
    now = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    path = tmp_path / "w.duckdb"
    old_sigs = [rng.getrandbits(64) for _ in range(400)]
    new_sigs = []
    for n in range(60):  # near some old signature (0-5 bits apart), or nowhere near
        sig = old_sigs[rng.randrange(400)] if n % 3 else rng.getrandbits(64)
        for bit in rng.sample(range(64), rng.randrange(6)):
            sig ^= 1 << bit
        new_sigs.append(sig)
    for band in range(4):  # 3 bits apart, sharing this band only: each band must be searched
        sig = old_sigs[10 * band + 1]
        for other in {0, 1, 2, 3} - {band}:
            sig ^= 1 << (16 * other + rng.randrange(16))
        new_sigs.append(sig)
    new_sigs.append(0)  # a text without words stands alone
    with writer(path) as con:
        upsert_items(
            con,
            [Item(source="old", kind="post", external_id=f"o{i}", text=f"o{i}") for i in range(400)],
            now=now,
        )
        upsert_items(
            con,
            [
                Item(source="new", kind="post", external_id=f"n{i}", text=f"n{i}")
                for i in range(len(new_sigs))
            ],
            now=now,
        )
        for i, sig in enumerate(old_sigs):  # every fifth one collected before the window
            when = now - (stages.CLUSTER_WINDOW + timedelta(days=1) if i % 5 == 0 else timedelta(days=3))
            con.execute(
                "UPDATE items SET simhash = ?, cluster_id = ?, collected_at = ? WHERE external_id = ?",
                [sig, f"c{i // 2}", when, f"o{i}"],
            )
    rows = [("new", f"n{i}", "") for i in range(len(new_sigs))]
    assert stages._store_clusters(path, rows, new_sigs, now) == len(new_sigs)
    window = [(f"old|o{i}", sig, f"c{i // 2}") for i, sig in enumerate(old_sigs) if i % 5]
    expected = assign_clusters([(f"new|n{i}", sig) for i, sig in enumerate(new_sigs)], window)
    got = clusters(path)
    assert {k: got[k] for k in expected} == expected
    joined = sum(1 for v in expected.values() if v.startswith("c"))
    assert 20 <= joined < 60  # the test holds both kinds: joined an old cluster, and stood alone
    assert [expected[f"new|n{60 + band}"] for band in range(4)] == ["c0", "c5", "c10", "c15"]


WORKER_OF_A_KILLED_PARENT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from batch.stages import signature_pool
pool = signature_pool()
pool.submit(time.sleep, 600)
while not pool._processes:
    time.sleep(0.05)
print(*pool._processes, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended; only its entry waits to be reaped


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_signature_worker_ends_when_its_process_is_killed(tmp_path: Path) -> None:
    """A kill -9 of `run` or `reclassify` during a big pass left its worker process for ever."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = str(Path(stages.__file__).resolve().parents[1])
    parent = subprocess.Popen(
        [sys.executable, "-c", WORKER_OF_A_KILLED_PARENT, root], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    try:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 60  # not a speed limit: it ends within a second or two, or never
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker)
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)


@pytest.mark.parametrize("parallel", [False, True])
def test_a_backlog_is_clustered_a_chunk_at_a_time_as_in_one_pass(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    """All of a backlog's texts were read at once (1.3 GB at 500,000 items); a chunk at a time gives
    the same clusters."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    assert stages.cluster_pending(copy) == 15
    monkeypatch.setattr(stages, "CLUSTER_CHUNK", 4)
    monkeypatch.setattr(stages, "PARALLEL_SIGNATURES", 1 if parallel else 10**6)
    read: list[int] = []
    inputs = stages._cluster_inputs

    def counted(path: Path) -> list[tuple]:
        rows = inputs(path)
        read.append(len(rows))
        return rows

    monkeypatch.setattr(stages, "_cluster_inputs", counted)
    clustered = stages.analyse_pending(db)[0] if parallel else stages.cluster_pending(db)
    assert clustered == 15
    assert max(read) == 4
    assert clusters(db) == clusters(copy)


class _CountingModel:
    """Stands in for the classifier: a version, and the texts it was asked to score."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.scored: list[str] = []

    def classify(self, texts: list[str]) -> list[dict]:  # type: ignore[type-arg]
        self.scored += texts
        return [
            {"lang": "ru", "scores": {"corruption": 0.1, "infrastructure": 0.2}, "labels": []} for _ in texts
        ]


def _versions(path: Path) -> dict[str, str]:
    with reader(path) as con:
        return dict(
            con.execute("SELECT source || '|' || external_id, model_version FROM classifications").fetchall()
        )


def test_a_stop_midway_keeps_the_pages_done_and_the_next_pass_scores_only_the_rest(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM during `run` (or Ctrl-C) asks analyse_pending to stop: it ends after the page in hand;
    then `reclassify` after a model change, stopped likewise, resumes where it was."""
    monkeypatch.setattr(stages, "PAGE", 4)
    total = len(items())
    old = _CountingModel("old")
    asked: list[int] = []

    def stop_after_a_page() -> bool:
        asked.append(1)
        return len(asked) > 1

    _, result = stages.analyse_pending(db, model=old, should_stop=stop_after_a_page)
    assert result.scored == 4 and len(_versions(db)) == 4
    _, result = stages.analyse_pending(db, model=old)
    assert result.scored == total - 4 and len(old.scored) == total  # no item scored twice
    assert set(_versions(db).values()) == {"old"}

    new = _CountingModel("new")
    asked.clear()
    _, result = stages.analyse_pending(db, model=new, rescore_all=True, should_stop=stop_after_a_page)
    assert result.scored == 4
    _, result = stages.analyse_pending(db, model=new, rescore_all=True)
    assert result.scored == total - 4 and len(new.scored) == total
    assert set(_versions(db).values()) == {"new"}
    # A plain run scores new or edited items only, whatever model scored the others.
    _, result = stages.analyse_pending(db, model=_CountingModel("newer"))
    assert result.scored == 0


def test_the_signature_worker_leaves_stop_signals_to_its_parent() -> None:
    # Ctrl-C in a terminal and systemd's stop signal every process of the group: the worker must go
    # on (the parent decides when to stop, after the page in hand), not break the pool
    import os
    import signal

    texts = ["Во дворе яма, вода стоит третий день", "Аким обещал засыпать ямы к пятнице"]
    with stages.signature_pool() as pool:
        expected = pool.submit(stages.signatures, texts).result(timeout=120)  # the worker has started
        (worker,) = pool._processes  # the one worker's pid
        os.kill(worker, signal.SIGINT)
        os.kill(worker, signal.SIGTERM)
        assert pool.submit(stages.signatures, texts).result(timeout=120) == expected
