"""The Ray engine (Ray Data ``map_batches``, a class UDF per actor) writes what the local engine writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from batch_helpers import ROOT, articles, build_tiny_tagger, write_jsonl

from mlpkg.batch import TagOptions, run_job

pytest.importorskip("ray.data")


@pytest.mark.slow
def test_ray_engine_matches_the_local_engine_row_for_row(tmp_path, monkeypatch):
    from mlpkg.batch import ray_engine

    windows = []
    tag_window = ray_engine._tag_window
    monkeypatch.setattr(ray_engine, "_tag_window", lambda window, *args: windows.append(len(window)) or
                        tag_window(window, *args))
    model = build_tiny_tagger(tmp_path / "tagger")
    good = articles(400)
    # two windows (two pipelines, one output): the first closes past 55% of the text, the rest stays below
    monkeypatch.setattr(ray_engine, "WINDOW_CHARS", int(0.55 * sum(len(a["text"]) for a in good)))
    bad = ["{not json", {"id": "no-text"}, {"id": good[3]["id"], "text": good[5]["text"]}, {"id": "x", "text": " "}]
    src = write_jsonl(tmp_path / "news.jsonl", good[:150] + bad + good[150:])
    reports = {}
    for engine in ("local", "ray"):
        reports[engine] = run_job(TagOptions(model=str(model), input=str(src), output=str(tmp_path / f"{engine}.jsonl"),
                                             engine=engine, workers=2, chunk_size=64, progress="none"))
    assert [(r.read, r.tagged, r.rejected) for r in reports.values()] == [(404, 400, 4)] * 2
    assert len(windows) == 2 and sum(windows) == 7  # 404 rows in chunks of 64
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "ray.rejects.jsonl").read_bytes() == (tmp_path / "local.rejects.jsonl").read_bytes()


TAG = '''
import sys

from mlpkg.cli import main

sys.exit(main(["tag", "--model", sys.argv[1], "--input", sys.argv[2], "--output", sys.argv[3], "--engine", "ray",
               "--workers", "2", "--chunk-size", "10", "--progress", "none"]))
'''
KILLER = '''
import os

from mlpkg.batch import ray_engine


class KillerUDF(ray_engine.TagUDF):  # defined in __main__: Ray ships it to the actors by value
    def __call__(self, batch):
        if any("MATIKAN" in text for text in batch["text"].to_pylist()):
            os._exit(1)  # as the OOM killer or a crash in native code would end the worker
        return super().__call__(batch)


ray_engine.TagUDF = KillerUDF
''' + TAG


def _ray_job(tmp_path, script: str, rows: list[dict]) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``script`` (``mlpkg tag --engine ray`` on ``rows``) in a Ray of its own; also return the workers
    that Ray's logs say were stopped for being idle."""
    model = build_tiny_tagger(tmp_path / "tagger")
    src = write_jsonl(tmp_path / "news.jsonl", rows)
    (tmp_path / "job.py").write_text(script, encoding="utf-8")
    ray_tmp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # Ray's socket paths must stay short
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "RAY_TMPDIR": str(ray_tmp)}
    try:
        done = subprocess.run([sys.executable, str(tmp_path / "job.py"), str(model), str(src),
                               str(tmp_path / "out.jsonl")], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        logs = ray_tmp / "ray" / "session_latest" / "logs"
        reaped = [p.name for p in logs.glob("python-core-worker-*.log") if "idle for a long time" in p.read_text()]
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    return done, reaped


@pytest.mark.slow
def test_ray_engine_stops_with_e104_when_a_row_kills_its_worker_every_time(tmp_path):
    """Issue 27.4: 127 worker deaths in 75 s, no chunk finished, no error, no exit (Ray Data restarts actors and
    retries their tasks for ever by default). Now the retries are bounded and the job says which chunk."""
    rows = articles(40)
    rows[25] = {**rows[25], "text": "MATIKAN " + rows[25]["text"]}  # row 26, chunk 2 (rows 21-30)
    done, _ = _ray_job(tmp_path, KILLER, rows)  # on the unbounded engine this times out
    assert done.returncode == 2, done.stderr[-3000:]
    assert "mlpkg tag: error: [E104] a Ray worker died on every one of 3 tries while tagging" in done.stderr
    assert "2 (rows 21-30)" in done.stderr and "a rerun resumes" in done.stderr


@pytest.mark.slow
def test_a_successful_ray_run_prints_no_fatal_error_trace(tmp_path):
    """Issue 27.8: the raylet reaped the idle task workers that read the blocks' metadata mid-run, and Ray's
    exit of such a worker could abort ("Fatal Python error: Aborted", harmless to the output but alarming).
    A Ray that mlpkg starts keeps its idle workers until the job ends."""
    done, reaped = _ray_job(tmp_path, TAG, articles(40))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Fatal Python error" not in done.stderr
    assert reaped == []
