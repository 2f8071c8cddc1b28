"""The Ray engine (Ray Data ``map_batches``, a class UDF per actor) writes what the local engine writes."""

from __future__ import annotations

import pytest
from batch_helpers import articles, build_tiny_tagger, write_jsonl

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
