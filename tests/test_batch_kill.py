"""``kill -9`` a real ``mlpkg tag`` mid-run; running the same command again finishes the job exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest
from batch_helpers import ROOT, articles, build_tiny_tagger, read_jsonl, write_jsonl

from mlpkg.batch.parts import PROGRESS_FILE, parts_dir


def kill_9_after_the_first_part(command: list[str], out: Path, env: dict) -> subprocess.Popen:
    """Start the job in a session of its own; ``kill -9`` its driver (only) once a chunk is done.

    Its output goes to a file, not a pipe: orphaned workers would hold a pipe open for good.
    """
    log = out.with_name("job.log")
    with open(log, "wb") as fh:
        job = subprocess.Popen(command, cwd=ROOT, env=env, stdout=fh, stderr=fh, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(parts_dir(out).glob("part-*.jsonl")):
            assert job.poll() is None, f"the job ended before writing a part: {log.read_text()}"
            assert time.monotonic() < deadline, "no part file after 120 s"
            time.sleep(0.01)
        os.kill(job.pid, signal.SIGKILL)  # the driver only, as `kill -9 PID` would
        job.wait(timeout=30)
    except BaseException:
        os.killpg(job.pid, signal.SIGKILL)
        raise
    return job


def session(sid: int) -> list[psutil.Process]:
    """The processes still running in session ``sid`` (all a job started, wherever they were reparented)."""
    out = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == sid and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return out


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_writes_each_id_exactly_once(tmp_path):
    model = build_tiny_tagger(tmp_path / "tagger")
    good = articles(3000)
    bad = ['{"id": "broken", "text": ', {"id": "empty", "text": ""}, {"id": good[10]["id"], "text": "salinan"}]
    src = write_jsonl(tmp_path / "news.jsonl", good[:1500] + bad + good[1500:])
    out = tmp_path / "tags.jsonl"
    command = [sys.executable, "-m", "mlpkg", "tag", "--model", str(model), "--input", str(src), "--output", str(out),
               "--chunk-size", "50", "--workers", "1", "--progress", "log"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

    job = kill_9_after_the_first_part(command, out, env)
    assert job.returncode == -signal.SIGKILL
    assert not out.exists(), "the job finished before it was killed: the test proves nothing"
    done = json.loads((parts_dir(out) / PROGRESS_FILE).read_text())["chunks"] if (
        parts_dir(out) / PROGRESS_FILE).exists() else {}
    assert len(done) < 61  # 3003 rows in chunks of 50

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip() == "read 3003, tagged 3000, rejected 3"
    if done:
        assert f"resuming: {len(done)} chunks" in rerun.stderr
    ids = [row["id"] for row in read_jsonl(out)]
    assert Counter(ids).most_common(1)[0][1] == 1
    assert ids == [a["id"] for a in good]
    assert [(r["row"], r["reason"]) for r in read_jsonl(tmp_path / "tags.rejects.jsonl")] == [
        (1501, "malformed_json"), (1502, "empty_text"), (1503, "duplicate_id")]
    assert not parts_dir(out).exists()


@pytest.mark.slow
def test_kill_9_of_the_driver_leaves_no_process_running(tmp_path):
    model = build_tiny_tagger(tmp_path / "tagger")
    src = write_jsonl(tmp_path / "news.jsonl", articles(3000))
    out = tmp_path / "tags.jsonl"
    command = [sys.executable, "-m", "mlpkg", "tag", "--model", str(model), "--input", str(src), "--output", str(out),
               "--chunk-size", "50", "--workers", "2", "--progress", "none"]
    job = kill_9_after_the_first_part(command, out, {**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 60  # workers check on the driver every 0.5 s; the machine may be busy
        while session(job.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [" ".join(p.cmdline())[:120] for p in session(job.pid)]
        assert left == [], f"processes of the killed job still run: {left}"
    finally:
        for proc in session(job.pid):
            proc.kill()
