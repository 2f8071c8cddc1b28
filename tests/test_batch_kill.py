"""``kill -9`` a real ``mlpkg tag`` mid-run; running the same command again finishes the job exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from batch_helpers import ROOT, articles, build_tiny_tagger, kill_9_after_parts, outlived, read_jsonl, write_jsonl

from mlpkg.batch.parts import PROGRESS_FILE, parts_dir


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

    job = kill_9_after_parts(command, out, env)
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
    job = kill_9_after_parts(command, out, {**os.environ, "HF_HUB_OFFLINE": "1"})
    assert job.returncode == -signal.SIGKILL
    assert outlived(job) == []
