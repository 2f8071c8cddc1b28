"""An operator's worst input, killed at random points: every record still ends up exactly once.

The CSV mixes every bad-row kind a CSV can have with every malformed shape (a quote left open early,
in the middle and on the last line; a row with the wrong separator; a stray character after a
quote; a BOM; CRLF and LF line ends; quoted fields with line breaks; a blank line); the JSONL file
mixes every JSONL bad-row kind. Each run ``kill -9``s a real ``mlpkg tag`` twice, at points drawn
from a fixed seed, then lets it finish, and checks that every physical record is in the output or in
the rejects exactly once, that the input is unchanged, that no process of the job outlives it and
that nothing but the output and the rejects is left beside them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import (
    ROOT,
    articles,
    build_tiny_tagger,
    job,
    kill_9_after_parts,
    mixed_rows,
    outlived,
    read_jsonl,
    write_csv,
    write_jsonl,
)

from mlpkg.batch import run_job
from mlpkg.batch.parts import PROGRESS_FILE, parts_dir

GOOD = articles(240, offset=500)
CHUNK = 16


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return build_tiny_tagger(tmp_path_factory.mktemp("adversarial") / "tagger")


def mixed_csv(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The CSV described above; the expected output ids and ``(raw input, reason)`` rejects, in order."""
    good = [dict(a) for a in GOOD]
    good[7]["text"] = "Koperasi desa,\nbaris kedua \"dikutip\",\r\nbaris ketiga."  # a quoted field with line breaks
    bad = {
        3: ('dini,Judul,"Koperasi desa tanpa kutip penutup', "unclosed_quote"),
        20: (b"latin1,Judul,Koperasi \xe9 desa", "not_utf8"),
        31: (",Judul,Koperasi desa tanpa id", "missing_id"),
        44: ('kosong,Judul,"   "', "empty_text"),
        57: ("panjang,Judul," + "Koperasi desa " * 5000, "text_too_long"),
        70: (f"{good[5]['id']},Judul,Teks salinan", "duplicate_id"),
        83: ("lebar,satu,dua,tiga", "malformed_row"),
        96: ("salah;Judul;Koperasi desa", "malformed_row"),
        109: ('tengah,Judul,"Koperasi desa, kutipnya tidak ditutup', "unclosed_quote"),
        122: ('kutip,"Judul"x,Koperasi desa', "malformed_row"),
    }
    rows: list = []
    rejects = []
    for i, article in enumerate(good):
        if i in bad:
            raw, reason = bad[i]
            rows.append(raw)
            rejects.append((raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw, reason))
        if i == 150:
            rows.append(b"")  # a blank line is not a record
        rows.append(article)
    last = 'akhir,Judul,"Teks terakhir yang kutipnya terbuka'
    rows.append(last)
    rejects.append((last, "unclosed_quote"))
    data = write_csv(path, rows, newline="\r\n", bom=True).read_bytes()
    cut = data.index(b"\r\n", len(data) // 2)  # the second half with LF line ends, as if from another source
    path.write_bytes(data[:cut] + data[cut:].replace(b"\r\n", b"\n"))
    return [a["id"] for a in good], rejects


def mixed_json_lines(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Every JSONL bad-row kind among the good rows; the expected output ids and rejects, in order."""
    rows, expected = mixed_rows(GOOD)
    records = [line for line in write_jsonl(path, rows).read_bytes().split(b"\n") if line.strip()]
    raw = [line.decode("utf-8", "backslashreplace") for line in records]
    return [a["id"] for a in GOOD] + ["12345"], [(raw[row - 1], reason) for row, _, reason in expected]


def output_ids(path: Path) -> list[str]:
    if path.suffix == ".jsonl":
        return [r["id"] for r in read_jsonl(path)]
    return [str(i) for i in (pd.read_csv(path, dtype=str) if path.suffix == ".csv" else pd.read_parquet(path)).id]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("seed,source,output", [(0, "csv", "jsonl"), (1, "jsonl", "parquet"), (2, "csv", "csv")])
def test_killed_at_random_points_every_record_ends_up_once(model_dir, tmp_path, seed, source, output):
    rng = random.Random(seed)
    src = tmp_path / f"news.{source}"
    tagged, rejected = (mixed_csv if source == "csv" else mixed_json_lines)(src)
    before = sha256(src)
    out = tmp_path / f"tags.{output}"
    command = [sys.executable, "-m", "mlpkg", "tag", "--model", str(model_dir), "--input", str(src), "--output",
               str(out), "--chunk-size", str(CHUNK), "--workers", "2", "--max-chars", "60000",
               "--max-reject-rate", "0.2", "--progress", "log"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    chunks = -(-(len(tagged) + len(rejected)) // CHUNK)
    parts, kills = 0, []
    for _ in range(2):
        parts = min(parts + rng.randint(1, chunks // 3), chunks - 1)
        job = kill_9_after_parts(command, out, env, parts=parts, delay_s=rng.uniform(0, 0.2))
        kills.append(job.returncode)
        assert outlived(job) == []
    assert -signal.SIGKILL in kills, "no run was killed: the test proves nothing"

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"read {len(tagged) + len(rejected)}, tagged {len(tagged)}, rejected {len(rejected)}"
    assert output_ids(out) == tagged
    rejects = read_jsonl(out.with_name("tags.rejects.jsonl" if output == "jsonl" else f"{out.name}.rejects.jsonl"))
    assert [(r["input"], r["reason"]) for r in rejects] == rejected
    assert sha256(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name, out.name, "job.log", "tags.rejects.jsonl" if output == "jsonl" else f"{out.name}.rejects.jsonl"])


def test_csv_output_keeps_an_id_with_a_carriage_return_in_one_row(model_dir, tmp_path):
    """Issue 27.5: the writer quoted only "\\n", so {"id": "x\\r"} became two rows in any CSV reader."""
    ids = ["x\r", "y\n", "z\r\n", 'kutip"dalam', "koma,dalam", "biasa"]
    src = write_jsonl(tmp_path / "in.jsonl", [{**a, "id": i} for i, a in zip(ids, GOOD)])
    run_job(job(model_dir, src, tmp_path / "out.csv"))
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ids
    assert {len(r) for r in rows} == {len(rows[0])}
    assert pd.read_csv(tmp_path / "out.csv", dtype=str).id.tolist() == ids


def _edit_between_runs(src: Path, ids: list[str], repeated: str, done_rows: int, rng: random.Random) -> None:
    """Seeded edits of the kind an operator makes between a kill and the rerun: an early row takes the id
    of a row in a finished chunk (which becomes a duplicate), the first row with the ``repeated`` id gets a
    new id (its copy further on is no longer a duplicate), and a line after the finished chunks goes."""
    lines = src.read_bytes().splitlines(keepends=True)
    at: dict[str, int] = {}  # the line of each id's first row
    for n, line in enumerate(lines):
        for id_ in ids:
            if line.startswith(f"{id_},".encode()) or f'"id": "{id_}"'.encode() in line:
                at.setdefault(id_, n)
    free = [i for i in ids if i != repeated]
    early = rng.randrange(0, done_rows // 3)
    later = rng.randrange(early + 2, max(early + 3, done_rows - CHUNK))
    lines[at[free[early]]] = lines[at[free[early]]].replace(free[early].encode(), free[later].encode(), 1)
    lines[at[repeated]] = lines[at[repeated]].replace(repeated.encode(), f"{repeated}-baru".encode(), 1)
    del lines[at[rng.choice(free[done_rows:])]]  # past the finished chunks: an earlier cut would shift them all
    src.write_bytes(b"".join(lines))


@pytest.mark.slow
@pytest.mark.parametrize("seed,source,output", [(3, "jsonl", "jsonl"), (4, "csv", "csv")])
def test_an_input_edited_between_a_kill_and_the_rerun_gives_what_a_fresh_run_gives(model_dir, tmp_path, seed, source,
                                                                                   output):
    """Issue 27.1: a resumed run kept finished chunks whose rows hashed as before although an edit before them
    changed which of their rows are duplicates (an id twice in the output, exit 0). Byte for byte now."""
    rng = random.Random(seed)
    src = tmp_path / f"news.{source}"
    tagged, rejected = (mixed_csv if source == "csv" else mixed_json_lines)(src)
    out = tmp_path / f"tags.{output}"
    rejects = out.with_name("tags.rejects.jsonl" if output == "jsonl" else f"{out.name}.rejects.jsonl")

    def command(input_: Path, output_: Path) -> list[str]:
        return [sys.executable, "-m", "mlpkg", "tag", "--model", str(model_dir), "--input", str(input_), "--output",
                str(output_), "--chunk-size", str(CHUNK), "--workers", "2", "--max-chars", "60000",
                "--max-reject-rate", "0.2", "--progress", "log"]

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    chunks = -(-(len(tagged) + len(rejected)) // CHUNK)
    # chunks of 16 rows take milliseconds: kill as soon as a few are written (a later kill on a quiet machine
    # found every chunk done)
    killed = kill_9_after_parts(command(src, out), out, env, parts=rng.randint(3, chunks // 4),
                                delay_s=rng.uniform(0, 0.005))
    assert killed.returncode == -signal.SIGKILL and outlived(killed) == []
    done = json.loads((parts_dir(out) / PROGRESS_FILE).read_text(encoding="utf-8"))["chunks"]
    assert 3 <= len(done) < chunks - 2, "too few or too many chunks finished: the test proves nothing"
    repeated = GOOD[5 if source == "csv" else 3]["id"]  # the id of mixed_csv's / mixed_rows' duplicate_id row
    _edit_between_runs(src, [a["id"] for a in GOOD], repeated, len(done) * CHUNK, rng)

    resumed = subprocess.run(command(src, out), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming:" in resumed.stderr and "the input changed since the interrupted run" in resumed.stderr
    (tmp_path / "fresh").mkdir()
    fresh_src = tmp_path / "fresh" / src.name
    fresh_src.write_bytes(src.read_bytes())
    fresh_out = tmp_path / "fresh" / out.name
    fresh = subprocess.run(command(fresh_src, fresh_out), cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    assert resumed.stdout == fresh.stdout
    assert out.read_bytes() == fresh_out.read_bytes()
    assert rejects.read_bytes() == (tmp_path / "fresh" / rejects.name).read_bytes()
