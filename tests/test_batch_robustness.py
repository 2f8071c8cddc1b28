"""``mlpkg tag`` on an operator's bad day (issue 12): odd inputs, clashing paths, kills, full disks.

One test per case of the issue, named after it; the kill -9 cases are in ``test_batch_kill.py`` and
the mixed, randomly killed runs in ``test_batch_adversarial.py``.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import stat
import threading
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import (
    articles,
    build_tiny_tagger,
    die,
    job,
    read_jsonl,
    titled_articles,
    unquoted,
    write_csv,
    write_jsonl,
)

from mlpkg.batch import TagOptions, run_job, tag_job
from mlpkg.batch.parts import PROGRESS_FILE, PartStore, parts_dir
from mlpkg.cli import main as cli_main
from mlpkg.core.directory import load_model
from mlpkg.errors import (
    ConfigError,
    DataError,
    DiskFullError,
    InputReadError,
    ModelIntegrityError,
    OutputNotWritableError,
    WorkerDiedError,
)

GOOD = articles(24, offset=100)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return build_tiny_tagger(tmp_path_factory.mktemp("robust") / "tagger")


class Crash(Exception):
    pass


def crash_at_chunk(monkeypatch, crash: int) -> None:
    finish = PartStore.finish_chunk

    def finish_or_crash(self, chunk, *args):
        if chunk == crash:
            raise Crash
        finish(self, chunk, *args)

    monkeypatch.setattr(PartStore, "finish_chunk", finish_or_crash)


def ids(path: Path) -> list[str]:
    return [r["id"] for r in read_jsonl(path)]


# --- 1. rows lost to an unclosed CSV quote ---------------------------------------------------

def test_csv_unclosed_quote_loses_no_rows(model_dir, tmp_path):
    good = [unquoted(a) for a in GOOD[:12]]
    bad = 'tanpa-penutup,Judul,"Koperasi desa menyalurkan pinjaman modal'  # the quote is never closed
    src = write_csv(tmp_path / "in.csv", good[:5] + [bad] + good[5:])
    report = run_job(job(model_dir, src, tmp_path / "out.jsonl", max_reject_rate=0.1))
    assert (report.read, report.tagged, report.rejected) == (13, 12, 1)
    assert ids(tmp_path / "out.jsonl") == [a["id"] for a in good]
    [reject] = read_jsonl(report.rejects)
    assert (reject["row"], reject["line"], reject["reason"], reject["input"]) == (6, 7, "unclosed_quote", bad)
    assert "line 7: a quoted field opened on this line is not closed" in reject["detail"]


# --- 2. an output or rejects path that is the input ------------------------------------------

@pytest.mark.parametrize("clash", ["output", "rejects", "output_link", "rejects_is_output"])
def test_output_or_rejects_that_is_the_input_is_refused(model_dir, tmp_path, clash):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:3])
    before = src.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(src)
    options = {"output": dict(output=src), "rejects": dict(output=tmp_path / "out.jsonl", rejects=str(src)),
               "output_link": dict(output=tmp_path / "link.jsonl"),
               "rejects_is_output": dict(output=tmp_path / "o.jsonl", rejects=str(tmp_path / "o.jsonl"))}[clash]
    with pytest.raises(ConfigError, match="are the same file .* the job would overwrite it"):
        run_job(job(model_dir, src, **options))
    assert src.read_bytes() == before


# --- 3. resume trusts content, not size and mtime --------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_resume_checks_the_input_content_not_its_size_and_mtime(model_dir, tmp_path, monkeypatch, fmt):
    first, second = GOOD[:9], [{**a, "id": a["id"].replace("#", "@")} for a in GOOD[:9]]  # same sizes
    src, out = tmp_path / f"in.{fmt}", tmp_path / "out.jsonl"

    def write(rows):
        if fmt == "csv":
            write_csv(src, rows)
        else:
            pd.DataFrame(rows).to_parquet(src, compression=None, use_dictionary=False)

    write(first)
    stat_before = os.stat(src)
    crash_at_chunk(monkeypatch, 2)
    with pytest.raises(Crash):
        run_job(job(model_dir, src, out, chunk_size=3))
    monkeypatch.undo()
    write(second)  # an edit in place that keeps the size and the mtime, as `cp -p` or `rsync -a` would
    os.utime(src, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    assert os.stat(src).st_size == stat_before.st_size
    run_job(job(model_dir, src, out, chunk_size=3))
    assert ids(out) == [a["id"] for a in second]


# --- 4. two output formats, one rejects file -------------------------------------------------

def test_outputs_in_two_formats_keep_their_own_rejects(model_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:4] + ["{broken"])
    a = run_job(job(model_dir, src, tmp_path / "x.jsonl", max_reject_rate=1.0))
    write_jsonl(src, GOOD[:4] + [{"id": "kosong", "text": ""}])
    b = run_job(job(model_dir, src, tmp_path / "x.parquet", max_reject_rate=1.0))
    assert (a.rejects.name, b.rejects.name) == ("x.rejects.jsonl", "x.parquet.rejects.jsonl")
    assert [r["reason"] for r in read_jsonl(a.rejects)] == ["malformed_json"]
    assert [r["reason"] for r in read_jsonl(b.rejects)] == ["empty_text"]


# --- 5. a kill while the parts folder is removed ---------------------------------------------

def test_rerun_after_a_kill_during_the_parts_removal_finishes(model_dir, tmp_path, monkeypatch):
    src, out = write_jsonl(tmp_path / "in.jsonl", GOOD[:9]), tmp_path / "out.jsonl"
    crash_at_chunk(monkeypatch, 2)
    with pytest.raises(Crash):
        run_job(job(model_dir, src, out, chunk_size=3))
    monkeypatch.undo()
    parts = parts_dir(out)
    (parts / "part-000000.jsonl").unlink()  # what a kill -9 in the middle of removing the folder leaves
    assert (parts / PROGRESS_FILE).exists()
    report = run_job(job(model_dir, src, out, chunk_size=3))
    assert report.resumed_chunks == 1 and ids(out) == [a["id"] for a in GOOD[:9]]
    assert not parts.exists()


def test_parts_removal_drops_the_progress_record_first(model_dir, tmp_path, monkeypatch):
    def killed(path, **kwargs):
        raise Crash

    monkeypatch.setattr("shutil.rmtree", killed)
    with pytest.raises(Crash):
        run_job(job(model_dir, write_jsonl(tmp_path / "in.jsonl", GOOD[:3]), tmp_path / "out.jsonl"))
    assert not (parts_dir(tmp_path / "out.jsonl") / PROGRESS_FILE).exists()


# --- 7. debris: temp files of a killed merge, the parts folder of a failed run ---------------

def test_temp_files_of_a_killed_merge_are_removed_by_the_next_run(model_dir, tmp_path):
    out = tmp_path / "out.parquet"
    stale = [tmp_path / ".out.parquet.k1ll3d_x.tmp", tmp_path / ".out.parquet.rejects.jsonl.x9abc_de.tmp"]
    for path in stale:
        path.write_bytes(b"PAR1 half a file")
    other = tmp_path / ".other.parquet.a1.tmp"
    other.write_bytes(b"")  # another file's temp file: not ours to remove
    run_job(job(model_dir, write_jsonl(tmp_path / "in.jsonl", GOOD[:3]), out))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [other.name, "in.jsonl", "out.parquet", "out.parquet.rejects.jsonl"])


def test_a_failed_engine_leaves_no_parts_folder_or_lock(model_dir, tmp_path, monkeypatch):
    def no_ray(*args):
        raise ConfigError("--engine ray needs Ray Data")

    monkeypatch.setattr("mlpkg.batch.job._tag_chunks", no_ray)
    with pytest.raises(ConfigError):
        run_job(job(model_dir, write_jsonl(tmp_path / "in.jsonl", GOOD[:3]), tmp_path / "out.jsonl", engine="ray"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


# --- 8. failures with a coded error that says what to do -------------------------------------

def test_disk_full_is_a_coded_error_that_says_the_rerun_resumes(model_dir, tmp_path, monkeypatch):
    finish = PartStore.finish_chunk

    def disk_full(self, chunk, *args):
        if chunk == 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.part(chunk)))
        finish(self, chunk, *args)

    monkeypatch.setattr(PartStore, "finish_chunk", disk_full)
    with pytest.raises(DiskFullError, match=r"\[E102\].*no space left.*rerun the same command.*resumes"):
        run_job(job(model_dir, write_jsonl(tmp_path / "in.jsonl", GOOD[:6]), tmp_path / "out.jsonl", chunk_size=3))
    assert (parts_dir(tmp_path / "out.jsonl") / "part-000000.jsonl").exists()  # kept for the rerun


@pytest.fixture
def read_only_dir(tmp_path) -> Path:
    """A folder no file can be created in (root ignores permissions: then /sys, read-only in containers)."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield folder
        folder.chmod(stat.S_IRWXU)
        return
    if not _cannot_create_in(Path("/sys")):
        pytest.skip("no read-only folder to test with")
    yield Path("/sys")


def _cannot_create_in(folder: Path) -> bool:
    try:
        (folder / ".mlpkg-probe").touch()
    except OSError:
        return True
    (folder / ".mlpkg-probe").unlink()
    return False


@pytest.mark.parametrize("which", ["output", "rejects"])
def test_read_only_output_or_rejects_fails_before_any_work(model_dir, tmp_path, read_only_dir, which):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:3])
    paths = {"output": read_only_dir / "out.jsonl", "rejects": tmp_path / "out.jsonl"}
    rejects = str(read_only_dir / "r.jsonl") if which == "rejects" else None
    with pytest.raises(OutputNotWritableError, match=rf"\[E101\] --{which} .*cannot write there.*nothing was done yet"):
        run_job(job(model_dir, src, paths[which], rejects=rejects))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_truncated_parquet_is_a_coded_error(model_dir, tmp_path):
    src = tmp_path / "in.parquet"
    pd.DataFrame(GOOD[:6]).to_parquet(src)
    src.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(InputReadError, match=r"\[E103\] --input .*in.parquet: cannot be read.*restore it"):
        run_job(job(model_dir, src, tmp_path / "out.jsonl"))


def test_truncated_gzip_is_a_coded_error(model_dir, tmp_path):
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(gzip.compress(write_jsonl(tmp_path / "in.jsonl", GOOD[:6]).read_bytes())[:-30])
    with pytest.raises(InputReadError, match=r"\[E103\] --input .*in.jsonl.gz: cannot be read after record"):
        run_job(job(model_dir, src, tmp_path / "out.jsonl"))


def test_a_killed_worker_is_a_coded_error(model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("mlpkg.batch.job.tag_in_worker", die)  # the worker dies on its first chunk
    with pytest.raises(WorkerDiedError, match=r"\[E104\] a worker process died.*rerun the same command"):
        run_job(job(model_dir, write_jsonl(tmp_path / "in.jsonl", GOOD[:3]), tmp_path / "out.jsonl"))


def test_a_manifest_that_is_not_json_is_a_coded_error(model_dir, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "m")
    (broken / "manifest.json").write_text('{"sha256": {', encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match=r"\[E004\] .*manifest.json is not a manifest"):
        run_job(job(broken, write_jsonl(tmp_path / "in.jsonl", GOOD[:1]), tmp_path / "out.jsonl"))


def _broken_pipe_stream() -> io.TextIOWrapper:
    read_end, write_end = os.pipe()
    os.close(read_end)
    return io.TextIOWrapper(os.fdopen(write_end, "wb"), encoding="utf-8")


def test_closed_stdout_and_stderr_pipes_do_not_fail_the_job(model_dir, tmp_path, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:6] + ["{broken"])
    options = vars(job(model_dir, src, tmp_path / "out.jsonl", progress="log", max_reject_rate=0.5, chunk_size=3))
    crash_at_chunk(monkeypatch, 1)
    with pytest.raises(Crash):
        run_job(TagOptions(**options))
    monkeypatch.undo()
    stdout, stderr = _broken_pipe_stream(), _broken_pipe_stream()
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", stderr)
    assert tag_job(**options) == 0  # it logs "resuming: ..." mid-run, then the summary, to closed pipes
    assert len(ids(tmp_path / "out.jsonl")) == 6
    stdout.write("later writes go nowhere, quietly\n")
    stdout.flush()


def test_closed_stdout_under_output_dash_stops_quietly_with_141(model_dir, tmp_path, monkeypatch, capsys):
    stdout = _broken_pipe_stream()
    monkeypatch.setattr("sys.stdout", stdout)
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:6])
    assert tag_job(**vars(job(model_dir, src, "-", rejects=str(tmp_path / "r.jsonl")))) == 141
    assert "standard output was closed before every row was written" in capsys.readouterr().err


# --- 9. a manifest that does not cover what the loader reads ---------------------------------

def _copy_model(model_dir: Path, target: Path) -> Path:
    target.mkdir()
    for path in model_dir.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_manifest_that_omits_a_file_the_loader_reads_is_refused(model_dir, tmp_path):
    edited = _copy_model(model_dir, tmp_path / "edited")
    manifest = json.loads((edited / "manifest.json").read_text())
    del manifest["sha256"]["vocab_word.json"]
    (edited / "manifest.json").write_text(json.dumps(manifest))
    (edited / "vocab_word.json").write_text(json.dumps(["koperasi"] * 3000))
    with pytest.raises(ModelIntegrityError, match=r"manifest.json does not list vocab_word.json"):
        load_model(edited)

    empty = _copy_model(model_dir, tmp_path / "empty")
    (empty / "manifest.json").write_text('{"sha256": {}}')
    (empty / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(ModelIntegrityError, match=r"manifest.json does not list mlpkg.json"):
        run_job(job(empty, write_jsonl(tmp_path / "in.jsonl", GOOD[:1]), tmp_path / "out.jsonl"))


# --- 10. what users reach for ----------------------------------------------------------------

def test_output_dash_writes_jsonl_to_standard_output(model_dir, tmp_path, capsysbinary):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:4])
    assert tag_job(**vars(job(model_dir, src, "-", rejects=str(tmp_path / "r.jsonl")))) == 0
    captured = capsysbinary.readouterr()
    assert [json.loads(line)["id"] for line in captured.out.decode().splitlines()] == [a["id"] for a in GOOD[:4]]
    assert captured.err.decode().startswith("read 4, tagged 4, rejected 0\n")
    assert not (tmp_path / "-").exists()
    with pytest.raises(ConfigError, match="--output - needs --rejects FILE"):
        run_job(job(model_dir, src, "-"))


def _feed(open_fd, data: bytes) -> None:
    """Write ``data`` to the pipe ``open_fd()`` opens, from a thread (a pipe holds only 64 KiB)."""
    def write() -> None:
        with os.fdopen(open_fd(), "wb") as fh:
            fh.write(data)

    threading.Thread(target=write, daemon=True).start()


def test_input_from_a_pipe_a_named_pipe_and_gzip(model_dir, tmp_path):
    data = write_jsonl(tmp_path / "in.jsonl", GOOD[:5]).read_bytes()
    expected = [a["id"] for a in GOOD[:5]]

    read_end, write_end = os.pipe()  # what <(zcat news.jsonl.gz) hands over: /dev/fd/N
    _feed(lambda: write_end, data)
    run_job(job(model_dir, f"/dev/fd/{read_end}", tmp_path / "a.jsonl"))
    os.close(read_end)
    assert ids(tmp_path / "a.jsonl") == expected

    os.mkfifo(tmp_path / "named.csv")
    _feed(lambda: os.open(tmp_path / "named.csv", os.O_WRONLY), write_csv(tmp_path / "x.csv", GOOD[:5]).read_bytes())
    run_job(job(model_dir, tmp_path / "named.csv", tmp_path / "b.jsonl"))
    assert ids(tmp_path / "b.jsonl") == expected

    for name, content in (("in.jsonl.gz", data), ("in.csv.gz", (tmp_path / "x.csv").read_bytes())):
        (tmp_path / name).write_bytes(gzip.compress(content))
        run_job(job(model_dir, tmp_path / name, tmp_path / "c.jsonl"))
        assert ids(tmp_path / "c.jsonl") == expected


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_or_tab_separated_csv_is_read(model_dir, tmp_path, delimiter):
    src = write_csv(tmp_path / "in.csv", GOOD[:4], delimiter=delimiter)
    report = run_job(job(model_dir, src, tmp_path / "out.jsonl"))
    assert (report.read, report.tagged) == (4, 4)


def test_csv_without_the_id_and_text_columns_says_what_its_header_reads(model_dir, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("kode:judul:isi\na1:Judul:Teks koperasi\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"the CSV header has no 'id' and 'text' columns .* 'kode:judul:isi'"):
        run_job(job(model_dir, src, tmp_path / "out.jsonl"))


def test_csv_reject_input_is_the_raw_line(model_dir, tmp_path):
    src = write_csv(tmp_path / "in.csv", GOOD[:4] + ["lebar,satu,dua,tiga", 'kosong,Judul,"  "'])
    report = run_job(job(model_dir, src, tmp_path / "out.jsonl", max_reject_rate=1.0))
    assert [(r["reason"], r["input"]) for r in read_jsonl(report.rejects)] == [
        ("malformed_row", "lebar,satu,dua,tiga"), ("empty_text", 'kosong,Judul,"  "')]


@pytest.mark.parametrize("content", [b"", b"\n\n", b"id,title,text\n"], ids=["empty", "blank", "header-only"])
def test_empty_input_says_so_and_exits_3(model_dir, tmp_path, capsys, content):
    src = tmp_path / ("in.csv" if content.startswith(b"id") else "in.jsonl")
    src.write_bytes(content)
    assert tag_job(**vars(job(model_dir, src, tmp_path / "out.parquet"))) == 3
    assert "has no records: the output and rejects files are empty (exit status 3)" in capsys.readouterr().err
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 0


def test_a_changed_model_or_input_says_why_the_job_restarts(model_dir, tmp_path, monkeypatch, capsys):
    src, out = write_jsonl(tmp_path / "in.jsonl", GOOD[:9]), tmp_path / "out.jsonl"
    crash_at_chunk(monkeypatch, 2)
    with pytest.raises(Crash):
        run_job(job(model_dir, src, out, chunk_size=3, progress="log"))
    other_model = build_tiny_tagger(tmp_path / "other")
    (other_model / "README.md").write_text("anders", encoding="utf-8")
    from mlpkg.core.directory import write_manifest

    write_manifest(other_model)
    with pytest.raises(Crash):
        run_job(job(other_model, src, out, chunk_size=3, progress="log"))
    assert "starting over: the model changed since the interrupted run; its 2 finished chunks are discarded" \
        in capsys.readouterr().err
    write_jsonl(src, GOOD[:3] + GOOD[12:18])
    monkeypatch.undo()
    run_job(job(other_model, src, out, chunk_size=3, progress="log"))
    assert "the input changed since the interrupted run (the first change is in rows 4-6)" in capsys.readouterr().err
    assert ids(out) == [a["id"] for a in GOOD[:3] + GOOD[12:18]]


def test_output_files_honour_the_umask(model_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:2])
    old = os.umask(0o022)
    try:
        report = run_job(job(model_dir, src, tmp_path / "out.csv"))
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in (report.output, report.rejects)] == [0o644, 0o644]


def test_a_wrong_text_field_stops_before_the_run_listing_the_columns(model_dir, tmp_path, capsys):
    """A Parquet file whose body column is `isi`: one coded line naming the columns and the fix, no pass."""
    rows = titled_articles(30, offset=1893, min_sentences=1)  # with titles
    src = tmp_path / "berita.parquet"
    pd.DataFrame({"id": [r["id"] for r in rows], "judul": [r["title"] for r in rows],
                  "isi": [r["text"] for r in rows]}).to_parquet(src)
    code = cli_main(["tag", "--model", str(model_dir), "--input", str(src), "--output", str(tmp_path / "out.jsonl"),
                     "--progress", "none"])
    err = capsys.readouterr().err
    assert code == 2 and "E002" in err and "columns present: ['id', 'isi', 'judul']" in err
    assert "rerun with e.g. --text-field isi --title-field judul" in err and "Traceback" not in err  # issue 26.8
    assert not (tmp_path / "out.jsonl").exists()


def test_a_small_job_says_its_time_went_to_start_up_not_a_rate(model_dir, tmp_path, capsys):
    src = write_jsonl(tmp_path / "five.jsonl", articles(5))
    assert cli_main(["tag", "--model", str(model_dir), "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                     "--progress", "none"]) == 0
    out = capsys.readouterr()
    assert "too few rows to measure rows/s" in out.out + out.err and " rows/s;" not in out.out + out.err


# --- issue 22.11: macOS has no sched_getaffinity, Windows no fcntl -----------------------------

def test_tag_runs_where_the_os_has_no_cpu_affinity(model_dir, tmp_path, monkeypatch):
    """macOS: `os.sched_getaffinity` does not exist; the job crashed at start instead of using os.cpu_count()."""
    monkeypatch.delattr(os, "sched_getaffinity")
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:4])
    options = job(model_dir, src, tmp_path / "out.jsonl", workers=0)
    assert options.n_workers() == os.cpu_count()
    assert run_job(options).tagged == 4


def test_output_lock_works_where_the_file_system_has_no_flock(model_dir, tmp_path, monkeypatch):
    """Some network file systems have no ``flock`` (ENOSYS): the lock fell over with a raw OSError. filelock
    falls back to a marker file there: a second job is refused, the marker goes when the job ends, and one
    left by a killed job (its process gone) does not block the rerun."""
    import fcntl
    import subprocess
    import sys

    def no_flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(fcntl, "flock", no_flock)
    out, rejects = tmp_path / "out.jsonl", tmp_path / "r.jsonl"
    with pytest.warns(UserWarning, match="flock not supported"):
        first = PartStore(out, {"input": "a"}, [out, rejects]).open()
    with pytest.raises(ConfigError, match="out.jsonl is locked: another `mlpkg tag` is writing it"):
        PartStore(out, {"input": "a"}, [out]).open()
    first.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    holder = ("import errno, fcntl, os, sys\n"
              "def no_flock(fd, operation):\n"
              "    raise OSError(errno.ENOSYS, 'Function not implemented')\n"
              "fcntl.flock = no_flock\n"
              "from pathlib import Path\n"
              "from mlpkg.batch.paths import OutputLock\n"
              "lock = OutputLock(Path(sys.argv[1])).acquire()\n"
              "os.kill(os.getpid(), 9)\n")
    killed = subprocess.run([sys.executable, "-W", "ignore", "-c", holder, str(out)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    assert (tmp_path / ".out.jsonl.lock").exists()  # the killed job's marker
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:3])
    assert run_job(job(model_dir, src, out)).tagged == 3
    assert not (tmp_path / ".out.jsonl.lock").exists()


def test_tag_starts_its_workers_by_spawn_where_there_is_no_fork_server(model_dir, tmp_path, monkeypatch):
    """Windows has no fork server: the workers start by spawn and write what forked workers write."""
    from mlpkg.batch import portable

    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:6])
    run_job(job(model_dir, src, tmp_path / "forked.jsonl"))
    monkeypatch.setattr(portable.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert portable.worker_context().get_start_method() == "spawn"
    run_job(job(model_dir, src, tmp_path / "spawned.jsonl"))
    assert (tmp_path / "spawned.jsonl").read_bytes() == (tmp_path / "forked.jsonl").read_bytes()


def test_an_output_folder_removed_mid_run_is_a_coded_error_that_says_the_rerun_resumes(model_dir, tmp_path,
                                                                                       monkeypatch, capsys):
    """Issue 27.8: a deleted output folder gave a bare `[E002] [Errno 2] No such file or directory: ...tmp`."""
    import shutil

    src, out = write_jsonl(tmp_path / "in.jsonl", GOOD[:9]), tmp_path / "hasil" / "out.jsonl"
    finish = PartStore.finish_chunk

    def remove_the_folder_at_chunk_1(self, chunk, *args):
        if chunk == 1:
            shutil.rmtree(out.parent)
        finish(self, chunk, *args)

    monkeypatch.setattr(PartStore, "finish_chunk", remove_the_folder_at_chunk_1)
    argv = ["tag", "--model", str(model_dir), "--input", str(src), "--output", str(out), "--chunk-size", "3",
            "--workers", "1", "--progress", "none"]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "mlpkg tag: error: [E101]" in err and "a folder the job writes was removed while it ran" in err
    assert "rerun the same command" in err and "Traceback" not in err
    monkeypatch.undo()
    assert cli_main(argv) == 0
    assert ids(out) == [a["id"] for a in GOOD[:9]]
