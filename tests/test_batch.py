"""``mlpkg tag`` as a batch job: formats, rejects with reasons, accounting, resume, progress."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import TOPICS, articles, build_tiny_tagger, job, mixed_rows, read_jsonl, titled_articles, write_jsonl

from mlpkg.batch import REASONS, run_job, tag_job
from mlpkg.batch.parts import PartStore, parts_dir
from mlpkg.batch.progress import Progress
from mlpkg.batch.tagger import Tagger, tag_articles
from mlpkg.batch.validate import Article, SeenIds
from mlpkg.errors import ConfigError, DataError, ModelIntegrityError, ModelKindError, ParameterError
from mlpkg.text.normalize import article_text


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return build_tiny_tagger(tmp_path_factory.mktemp("batch") / "tagger")


GOOD = articles(20)
def test_mixed_file_gives_exact_counts_and_reasons(model_dir, tmp_path, capsys):
    rows, expected = mixed_rows(GOOD)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    code = tag_job(**vars(job(model_dir, src, tmp_path / "out.jsonl", chunk_size=7, max_chars=60_000,
                              max_reject_rate=0.5)))
    assert code == 0
    assert capsys.readouterr().out.strip() == "read 35, tagged 21, rejected 14"

    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == [a["id"] for a in GOOD] + ["12345"]
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert [(r["row"], r["id"], r["reason"]) for r in rejects] == expected
    assert Counter(r["reason"] for r in rejects) == {
        "malformed_json": 1, "not_utf8": 2, "wrong_type": 4, "missing_id": 2, "missing_text": 2, "empty_text": 1,
        "text_too_long": 1, "duplicate_id": 1}
    assert {r["reason"] for r in rejects} <= set(REASONS)
    assert all(r["detail"] for r in rejects)
    # the raw input travels with the reject, so a fixed row can be replayed
    assert rejects[0]["input"] == '{"id": "json-broken", "text": "Koperasi desa'
    assert rejects[1]["input"] == '{"id": "latin1", "text": "Koperasi \\xe9 desa"}'
    assert json.loads(rejects[-1]["input"])["title"] == "salinan kedua"
    assert rejects[7]["line"] == rejects[7]["row"] + 1  # after the blank line
    assert not parts_dir(tmp_path / "out.jsonl").exists()


def test_output_rows_carry_tags_scores_and_the_model(model_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:6])
    run_job(job(model_dir, src, tmp_path / "out.jsonl"))
    out = read_jsonl(tmp_path / "out.jsonl")
    tagger = Tagger(model_dir)
    proba = tagger.model.predict_proba([article_text(a["title"], a["text"]) for a in GOOD[:6]])
    for row, p, tags in zip(out, proba, tagger.model.decide(proba)):
        assert list(row) == ["id", "title", "tags", "scores", "model", "model_hash"]
        assert row["tags"] == tags
        assert list(row["scores"]) == ["koperasi", "umkm", "pendidikan"]
        np.testing.assert_allclose(list(row["scores"].values()), p, atol=5e-5)
        assert row["model"] == "tfidf_linear.v1" and row["model_hash"] == tagger.info.hash


def test_csv_and_parquet_in_and_out_agree_with_jsonl(model_dir, tmp_path):
    good = GOOD[:8]
    write_jsonl(tmp_path / "in.jsonl", good)
    run_job(job(model_dir, tmp_path / "in.jsonl", tmp_path / "ref.jsonl"))
    ref = pd.DataFrame(read_jsonl(tmp_path / "ref.jsonl"))

    with open(tmp_path / "in.csv", "wb") as fh:  # one bad row of each CSV-only kind in the middle
        fh.write(pd.DataFrame(good[:4]).to_csv(index=False).encode("utf-8"))
        fh.write(b'"extra-field","judul","teks",surplus\n"latin1","judul","Koperasi \xe9 desa"\n"empty","judul",""\n')
        fh.write(pd.DataFrame(good[4:]).to_csv(index=False, header=False).encode("utf-8"))
    pd.DataFrame(good + [{"id": "null-text", "title": "judul", "text": None}]).to_parquet(tmp_path / "in.parquet")

    for src, bad in (("in.csv", ["malformed_row", "not_utf8", "empty_text"]), ("in.parquet", ["missing_text"])):
        for out in ("out.csv", "out.parquet", "out.jsonl"):
            report = run_job(job(model_dir, tmp_path / src, tmp_path / out, max_reject_rate=1.0))
            assert (report.read, report.tagged, report.rejected) == (len(good) + len(bad), len(good), len(bad))
            assert [r["reason"] for r in read_jsonl(report.rejects)] == bad
            if out == "out.csv":
                got = pd.read_csv(tmp_path / out, keep_default_na=False)
                assert list(got.columns) == ["id", "title", "tags", "score_koperasi", "score_umkm",
                                             "score_pendidikan", "model", "model_hash"]
                assert got.tags.tolist() == ["|".join(t) for t in ref.tags]
                np.testing.assert_array_equal(got.score_umkm, [s["umkm"] for s in ref.scores])
            elif out == "out.parquet":
                got = pd.read_parquet(tmp_path / out)
                assert [list(t) for t in got.tags] == ref.tags.tolist()
                assert got.scores.tolist() == ref.scores.tolist()
            else:
                got = pd.DataFrame(read_jsonl(tmp_path / out))
                assert got.to_dict("records") == ref.to_dict("records")
            assert got.id.tolist() == ref.id.tolist()


def test_standard_input(model_dir, tmp_path, monkeypatch):
    data = write_jsonl(tmp_path / "in.jsonl", GOOD[:5] + ["{oops"]).read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    report = run_job(job(model_dir, "-", tmp_path / "out.jsonl", max_reject_rate=0.5))
    assert (report.read, report.tagged, report.rejected) == (6, 5, 1)
    assert report.reasons == {"malformed_json": 1}


def test_job_fails_when_the_reject_rate_passes_the_limit(model_dir, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:9] + [{"id": "x", "text": ""}])
    assert tag_job(**vars(job(model_dir, src, tmp_path / "out.jsonl", max_reject_rate=0.05))) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() == "read 10, tagged 9, rejected 1"
    assert "10.0% of the rows were rejected, more than --max-reject-rate 0.05" in captured.err
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 9  # the output is still there to inspect
    assert tag_job(**vars(job(model_dir, src, tmp_path / "out2.jsonl", max_reject_rate=0.1))) == 0


def test_job_fails_when_rows_go_missing(model_dir, tmp_path, monkeypatch, capsys):
    finish = PartStore.finish_chunk

    def lose_a_row(self, chunk, tagged, model_rejects, counts):
        finish(self, chunk, tagged[1:] if chunk == 1 else tagged, model_rejects, counts)

    monkeypatch.setattr(PartStore, "finish_chunk", lose_a_row)
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:10])
    assert tag_job(**vars(job(model_dir, src, tmp_path / "out.jsonl", chunk_size=4))) == 1
    assert "read 10 rows but wrote 9" in capsys.readouterr().err


class Crash(Exception):
    pass


@contextlib.contextmanager
def crashing_at_chunk(monkeypatch, crash_at: int):
    """Within the block, a job dies (``Crash``) as it is about to record chunk ``crash_at`` as done."""
    finish = PartStore.finish_chunk

    def crash(self, chunk, *args):
        if chunk == crash_at:
            raise Crash
        finish(self, chunk, *args)

    monkeypatch.setattr(PartStore, "finish_chunk", crash)
    try:
        yield
    finally:
        monkeypatch.setattr(PartStore, "finish_chunk", finish)


@pytest.mark.parametrize("moment", ["before_part", "after_part"])
def test_resume_after_a_crash_writes_each_id_once(model_dir, tmp_path, monkeypatch, moment):
    rows = GOOD + [{"id": "x", "text": ""}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    run_job(job(model_dir, src, tmp_path / "clean.jsonl", chunk_size=3, max_reject_rate=1.0))

    finish = PartStore.finish_chunk

    def crash_at_chunk_3(self, chunk, tagged, model_rejects, counts):
        if chunk == 3:
            if moment == "after_part":  # the part is renamed into place, the progress record is not
                self.part(chunk).write_text("".join(line + "\n" for line in tagged), encoding="utf-8")
            raise Crash
        finish(self, chunk, tagged, model_rejects, counts)

    monkeypatch.setattr(PartStore, "finish_chunk", crash_at_chunk_3)
    out = tmp_path / "out.jsonl"
    with pytest.raises(Crash):
        run_job(job(model_dir, src, out, chunk_size=3, max_reject_rate=1.0))
    assert not out.exists() and (parts_dir(out) / "progress.json").exists()
    monkeypatch.setattr(PartStore, "finish_chunk", finish)

    report = run_job(job(model_dir, src, out, chunk_size=3, max_reject_rate=1.0))
    assert report.resumed_chunks == 3
    assert (report.read, report.tagged, report.rejected) == (21, 20, 1)
    assert out.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    assert (tmp_path / "out.rejects.jsonl").read_bytes() == (tmp_path / "clean.rejects.jsonl").read_bytes()


@pytest.mark.parametrize("edit", ["makes_a_duplicate", "undoes_a_duplicate"])
def test_resume_after_an_edit_before_a_done_chunk_equals_a_fresh_run(model_dir, tmp_path, monkeypatch, edit):
    """Issue 27.1: row 2 takes (or gives back) the id of row 8, in a chunk an interrupted run finished; the
    resumed run kept that chunk as it was: the id twice in the output, or rejected for a row gone."""
    unique = GOOD[:12]
    copied = [*unique[:1], {**unique[1], "id": unique[7]["id"]}, *unique[2:]]
    before, after = (unique, copied) if edit == "makes_a_duplicate" else (copied, unique)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, before)
    with crashing_at_chunk(monkeypatch, 3), pytest.raises(Crash):
        run_job(job(model_dir, src, out, chunk_size=3, max_reject_rate=1.0))
    write_jsonl(src, after)
    resumed = run_job(job(model_dir, src, out, chunk_size=3, max_reject_rate=1.0))
    fresh = run_job(job(model_dir, src, tmp_path / "fresh.jsonl", chunk_size=3, max_reject_rate=1.0))
    assert (resumed.read, resumed.tagged, resumed.rejected) == (fresh.read, fresh.tagged, fresh.rejected)
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()
    assert resumed.rejects.read_bytes() == fresh.rejects.read_bytes()
    assert fresh.rejected == (1 if edit == "makes_a_duplicate" else 0)


def test_a_changed_input_or_option_starts_over(model_dir, tmp_path, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:9])
    out = tmp_path / "out.jsonl"
    with crashing_at_chunk(monkeypatch, 1), pytest.raises(Crash):
        run_job(job(model_dir, src, out, chunk_size=3))
    write_jsonl(src, GOOD[10:19])
    report = run_job(job(model_dir, src, out, chunk_size=3))
    assert report.resumed_chunks == 0
    assert [r["id"] for r in read_jsonl(out)] == [a["id"] for a in GOOD[10:19]]


def test_resuming_from_standard_input_redoes_chunks_whose_lines_changed(model_dir, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"

    def feed(rows):
        data = write_jsonl(tmp_path / "in.jsonl", rows).read_bytes()
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))

    feed(GOOD[:9])
    with crashing_at_chunk(monkeypatch, 2), pytest.raises(Crash):
        run_job(job(model_dir, "-", out, chunk_size=3))
    feed(GOOD[:3] + GOOD[10:16])  # chunk 0 as before, chunks 1 and 2 different
    report = run_job(job(model_dir, "-", out, chunk_size=3))
    assert report.resumed_chunks == 1  # chunks 0 and 1 were done, but only chunk 0 still matches its digest
    assert [r["id"] for r in read_jsonl(out)] == [a["id"] for a in GOOD[:3] + GOOD[10:16]]


def test_a_second_job_on_the_same_output_or_rejects_is_refused(tmp_path):
    out, rejects, other = tmp_path / "out.jsonl", tmp_path / "r.jsonl", tmp_path / "other.jsonl"
    first = PartStore(out, {"input": "a"}, [out, rejects]).open()
    with pytest.raises(ConfigError, match="out.jsonl is locked: another `mlpkg tag` is writing it"):
        PartStore(out, {"input": "a"}, [out]).open()
    with pytest.raises(ConfigError, match="r.jsonl is locked: another `mlpkg tag` is writing it"):
        PartStore(other, {"input": "a"}, [other, rejects]).open()
    assert first.dir.is_dir() and not parts_dir(other).exists()  # a refused job touches no one's folder
    first.close()
    PartStore(out, {"input": "a"}, [out, rejects]).open().close()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no chunk done: no folder, no lock file left


def test_options_are_checked_before_anything_runs(model_dir, tmp_path):
    with pytest.raises(ParameterError, match="'chunk_size'.*must be >= 1, got 0"):
        run_job(job(model_dir, tmp_path / "in.jsonl", tmp_path / "out.jsonl", chunk_size=0))
    with pytest.raises(ParameterError, match="'engine'.*must be one of 'local', 'ray', got 'spark'"):
        run_job(job(model_dir, tmp_path / "in.jsonl", tmp_path / "out.jsonl", engine="spark"))
    with pytest.raises(ConfigError, match=r"output 'out.xlsx': unknown extension '.xlsx'"):
        run_job(job(model_dir, tmp_path / "in.jsonl", "out.xlsx"))
    with pytest.raises(DataError, match=r"^\[E002\] --input .*missing.jsonl: no such file"):
        run_job(job(model_dir, tmp_path / "missing.jsonl", tmp_path / "out.jsonl"))
    write_jsonl(tmp_path / "in.jsonl", GOOD[:1])
    with pytest.raises(ModelKindError, match=r"\[E009\] --summarizer .* holds a classifier .*, not a summarizer"):
        run_job(job(model_dir, tmp_path / "in.jsonl", tmp_path / "out.jsonl", summarizer=str(model_dir)))
    with pytest.raises(ConfigError, match="unknown option"):
        tag_job(model=str(model_dir), input="a.jsonl", output="b.jsonl", batch=3)


def test_seen_ids_matches_a_set():
    rng = np.random.default_rng(0)
    seen, reference = SeenIds(), set()
    for _ in range(60):
        ids = [f"id-{i}" for i in rng.integers(0, 3000, size=int(rng.integers(0, 120)))]
        expected = []
        for i in ids:
            expected.append(i in reference)
            reference.add(i)
        assert seen.add(ids).tolist() == expected
    assert len(seen) == len(reference)


class _FlakyModel:
    classes_ = ["koperasi", "umkm", "pendidikan"]

    def predict_proba(self, texts):
        if any("RUSAK" in t for t in texts):
            raise ValueError("cannot featurise")
        return np.full((len(texts), 3), 0.25)

    def decide(self, proba):
        return [[] for _ in proba]


class _StubSummarizer:
    def summarize(self, texts, titles):
        return [[t.split(". ")[0].rstrip(".") + "."] for t in texts]


def _stub_tagger(model_dir: Path, summarizer=None) -> Tagger:
    tagger = Tagger(model_dir)
    tagger.model = _FlakyModel()
    if summarizer is not None:
        tagger.summarizer, tagger.summarizer_info = summarizer, tagger.info
    return tagger


def test_one_failing_article_is_rejected_alone(model_dir):
    batch = [Article(1, "a", None, "Koperasi desa."), Article(2, "b", None, "Teks RUSAK."),
             Article(3, "c", "Judul", "UMKM naik kelas.")]
    results = tag_articles(_stub_tagger(model_dir), batch)
    assert [(row, is_reject) for row, is_reject, _ in results] == [(1, False), (2, True), (3, False)]
    bad = json.loads(results[1][2])
    assert (bad["id"], bad["reason"], bad["detail"]) == ("b", "model_error", "ValueError: cannot featurise")


def test_summaries_reach_every_output_format(model_dir, tmp_path):
    from mlpkg.batch.writers import write_output

    tagger = _stub_tagger(model_dir, _StubSummarizer())
    batch = [Article(1, "a", None, "Koperasi desa tumbuh. Anggota bertambah."), Article(2, "b", "J", "UMKM naik.")]
    part = tmp_path / "part-000000.jsonl"
    part.write_text("".join(line + "\n" for _, _, line in tag_articles(tagger, batch)), encoding="utf-8")
    assert read_jsonl(part)[0]["summary"] == ["Koperasi desa tumbuh."]
    assert list(read_jsonl(part)[0])[-2:] == ["summarizer", "summarizer_hash"]
    write_output([part], tmp_path / "o.csv", tagger.model.classes_, True)
    write_output([part], tmp_path / "o.parquet", tagger.model.classes_, True)
    assert pd.read_csv(tmp_path / "o.csv").summary[0] == "Koperasi desa tumbuh."
    assert list(pd.read_parquet(tmp_path / "o.parquet").summary[1]) == ["UMKM naik."]


def _registered_summarizer() -> str | None:
    from mlpkg.core.registry import registered_names, resolve

    names = [n for n in registered_names() if getattr(resolve(n), "kind", "") == "summarizer"]
    return "lead.v1" if "lead.v1" in names else (names[0] if names else None)


def test_tag_with_a_registered_summarizer(model_dir, tmp_path):
    name = _registered_summarizer()
    if name is None:
        pytest.skip("mlpkg.summarize registers no summariser yet")
    from mlpkg.core.directory import load_model
    from mlpkg.core.registry import resolve

    summarizer_dir = resolve(name)().fit().save(tmp_path / "summarizer")
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:5])
    report = run_job(job(model_dir, src, tmp_path / "out.jsonl", summarizer=str(summarizer_dir)))
    assert report.tagged == 5
    expected = load_model(summarizer_dir).summarize([a["text"] for a in GOOD[:5]], [a["title"] for a in GOOD[:5]])
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["summary"] for r in out] == expected
    assert all(r["summarizer"] == name for r in out)


def test_progress_logs_plain_lines_off_a_terminal():
    stream = io.StringIO()
    progress = Progress("auto", stream=stream, interval_s=0.0)
    assert progress.mode == "log"
    progress.skip(100, 99, 1)
    progress.update(50, 50, 0)
    line = stream.getvalue().strip()
    assert line.startswith("mlpkg tag: 150 rows read, 149 tagged, 1 rejected, ") and line.endswith(" rows/s")


TITLED = titled_articles(6, offset=1893)  # articles with a title and 9+ sentences


def test_csv_output_escapes_cells_a_spreadsheet_would_run_as_formulas(model_dir, tmp_path):
    """Issue 22.13: an id or title starting with = + - @ (or a tab / carriage return) is a formula in a spreadsheet."""
    ids = ['=HYPERLINK("http://contoh.id","klik")', "+6281234", "-12", "@SUM(A1:A9)", "\tkoperasi", "aman"]
    rows = [{**a, "id": i, "title": "=1+1" if n == 0 else a["title"]} for n, (i, a) in enumerate(zip(ids, TITLED))]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    run_job(job(model_dir, src, tmp_path / "out.csv"))
    run_job(job(model_dir, src, tmp_path / "out.jsonl"))
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [r["id"] for r in got] == ["'" + i for i in ids[:5]] + ["aman"]
    assert got[0]["title"] == "'=1+1" and got[1]["title"] == TITLED[1]["title"]
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ids  # JSONL keeps the values as they are
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert all(line.startswith('"') for line in lines)  # every text cell quoted, as OWASP advises


def test_csv_output_has_a_title_column_and_the_summary_as_one_text(model_dir, tmp_path):
    """Issue 26.8: a clipping desk reads the title and a summary it can paste, not a JSON list."""
    from mlpkg.summarize import LeadSummarizer

    summarizer = LeadSummarizer(k=2).fit().save(tmp_path / "lead")
    src = write_jsonl(tmp_path / "in.jsonl", TITLED)
    for out in ("out.csv", "out.jsonl"):
        run_job(job(model_dir, src, tmp_path / out, summarizer=str(summarizer)))
    expected = read_jsonl(tmp_path / "out.jsonl")
    got = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert list(got.columns[:3]) == ["id", "title", "tags"] and "summary" in got.columns
    assert got.title.tolist() == [a["title"] for a in TITLED] == [r["title"] for r in expected]
    assert got.summary.tolist() == [" ".join(r["summary"]) for r in expected]
    assert all(len(r["summary"]) == 2 for r in expected)


def test_a_title_field_that_no_row_has_is_said_not_dropped_silently(model_dir, tmp_path, capsys):
    """Issue 26.8: `--text-field isi` on a file whose title is `judul` tagged without titles, without a word."""
    rows = [{"id": a["id"], "judul": a["title"], "isi": a["text"]} for a in TITLED]
    src = write_jsonl(tmp_path / "berita.jsonl", rows)
    run_job(job(model_dir, src, tmp_path / "a.jsonl", text_field="isi"))
    err = capsys.readouterr().err
    assert "no row of the first 6 has the title field 'title' (--title-field)" in err
    assert "rerun with --title-field judul" in err
    run_job(job(model_dir, src, tmp_path / "b.jsonl", text_field="isi", title_field="judul"))
    assert "title field" not in capsys.readouterr().err
    assert [r["title"] for r in read_jsonl(tmp_path / "b.jsonl")] == [a["title"] for a in TITLED]
    assert read_jsonl(tmp_path / "a.jsonl") != read_jsonl(tmp_path / "b.jsonl")  # titles change the scores


def test_a_summary_is_at_most_half_its_article(model_dir, tmp_path):
    """Issue 26.8: a 4-sentence article's summary was the whole article."""
    from mlpkg.summarize import LeadSummarizer
    from mlpkg.text.sentences import split_sentences

    sentences = split_sentences(TITLED[0]["text"])
    assert len(sentences) >= 9
    texts = [" ".join(sentences[:n]) for n in (1, 2, 3, 4, 9)]
    summaries = LeadSummarizer(k=5).fit().summarize(texts)
    assert [len(s) for s in summaries] == [1, 1, 2, 2, 5]


def test_summarize_with_a_classifier_directory_says_what_to_pass_instead(model_dir, tmp_path, capsys):
    """Issue 26.8: `mlpkg summarize --model <classifier>` blamed --summarizer and said nothing of what to pass."""
    from mlpkg.cli import main as cli_main

    src = write_jsonl(tmp_path / "in.jsonl", TITLED[:1])
    code = cli_main(["summarize", "--model", str(model_dir), "--input", str(src), "--output",
                     str(tmp_path / "out.jsonl"), "--progress", "none"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"mlpkg summarize: error: [E009] --model {model_dir} holds a classifier (tfidf_linear.v1)" in err
    assert f"mlpkg tag --model {model_dir}" in err and "--summarizer" not in err.split("holds")[0]


def test_a_batch_error_is_logged_once_before_its_rows_are_tagged_one_by_one(model_dir, caplog):
    """Issue 22.12: tag_articles dropped a batch's exception without a word before retrying row by row."""
    batch = [Article(1, "a", None, "Koperasi desa."), Article(2, "b", None, "Teks RUSAK."),
             Article(3, "c", None, "UMKM naik kelas.")]
    with caplog.at_level("WARNING", logger="mlpkg.batch.tagger"):
        tag_articles(_stub_tagger(model_dir), batch)
    assert [r.getMessage() for r in caplog.records] == [
        "mlpkg tag: rows 1-3 together: ValueError: cannot featurise; tagging them one by one (an article that fails "
        "alone is a model_error reject)"]


class _BacktrackingLexiconModel(_FlakyModel):
    """Counts a lexicon term that backtracks exponentially, as a model loaded without the check would."""

    def predict_proba(self, texts):
        from mlpkg.classify.lexicon_features import TagLexicon

        lexicon = TagLexicon({"koperasi": ["(?:k+)+x"]})
        return np.array([[min(1.0, lexicon.counts(t)["koperasi"][2]), 0.0, 0.0] for t in texts])


def test_a_row_past_its_time_budget_is_a_model_error_reject_not_a_stall(model_dir):
    """Issue 27.7: `(?:k+)+x` made one 45-character article hold a worker for 47 s (longer runs of k: for ever)."""
    tagger = _stub_tagger(model_dir)
    tagger.model = _BacktrackingLexiconModel()
    stall = "Kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk koperasi desa"  # 2**47 ways to split the k's
    batch = [Article(1, "a", None, TITLED[0]["text"]), Article(2, "b", None, stall),
             Article(3, "c", None, TITLED[1]["text"])]
    results = tag_articles(tagger, batch, row_timeout_s=0.5)
    assert [(row, is_reject) for row, is_reject, _ in results] == [(1, False), (2, True), (3, False)]
    bad = json.loads(results[1][2])
    assert (bad["id"], bad["reason"]) == ("b", "model_error")
    assert bad["detail"] == "RowTimeout: took longer than 0.5 s (--row-timeout)"


def _lexicon_model(folder: Path, terms: list[str]) -> Path:
    """A koperasi-only TF-IDF + lexicon tagger fitted on 90 articles, saved to ``folder``."""
    from mlpkg.classify import TfidfLexiconClassifier

    df = pd.read_parquet(TOPICS, columns=["text", "tags"])
    sample = pd.concat([df[df.tags.map(lambda t: "koperasi" in t)].head(30), df[df.tags.map(len) == 0].head(60)])
    model = TfidfLexiconClassifier(labels=["koperasi"], lexicon={"koperasi": terms}, char_ngrams=[],
                                   calibration_folds=2)
    model.fit(sample.text.tolist(), [[t for t in tags if t == "koperasi"] for tags in sample.tags])
    return model.save(folder)


def test_a_backtracking_lexicon_term_rejects_its_row_in_a_worker_process(tmp_path):
    """Issue 27.7: the time budget holds in the job's worker processes too, for a term the load check lets
    through (an alternation, not a nested repeat, that still backtracks exponentially on a run of k)."""
    folder = _lexicon_model(tmp_path / "model", ["koperasi", "(?:k|kk)+x"])
    rows = [TITLED[0], {"id": "macet", "title": None, "text": "k" * 80 + " koperasi desa"}, TITLED[1]]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    report = run_job(job(folder, src, tmp_path / "out.jsonl", row_timeout=1.0, max_reject_rate=1.0))
    assert (report.read, report.tagged, report.rejected) == (3, 2, 1)
    [bad] = read_jsonl(report.rejects)
    assert (bad["id"], bad["reason"], bad["detail"]) == (
        "macet", "model_error", "RowTimeout: took longer than 1 s (--row-timeout)")


def test_a_lexicon_term_with_nested_quantifiers_is_refused_at_config_and_model_load(tmp_path):
    """Issue 27.7: refuse `(?:k+)+x` before it reaches a worker, from a config or from a model folder."""
    import yaml

    from mlpkg.config import load_config
    from mlpkg.core.directory import META_FILE, load_model, write_manifest

    raw = yaml.safe_load(open("configs/topic_tfidf.yaml", encoding="utf-8"))
    raw["model"]["lexicon"]["koperasi"].append("(?:k+)+x")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"term '\(\?:k\+\)\+x' has a repeat inside a repeated group"):
        load_config(tmp_path / "c.yaml")

    folder = _lexicon_model(tmp_path / "model", ["koperasi", "kopdes"])
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    meta["params"]["lexicon"]["koperasi"].append("(?:k+)+x")  # same number of features: only the check stops it
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    write_manifest(folder)
    # the folder's params are checked on load like a config's: E004 naming mlpkg.json, with the parameter's E006
    with pytest.raises(ModelIntegrityError, match=r"\[E004\] .*mlpkg.json: the params do not fit tfidf_lexicon.v1: "
                                                  r"\[E006\] parameter 'lexicon': koperasi: term '\(\?:k\+\)\+x' has a "
                                                  r"repeat inside a repeated group"):
        load_model(folder)
