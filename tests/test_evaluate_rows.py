"""Issue 26, items 2-5: `mlpkg evaluate` and the report, as a new user meets them (one test per item)."""

from __future__ import annotations

import json

import pytest

from mlpkg.config import parse_config

LABELS = ["koperasi", "umkm", "pendidikan"]


@pytest.fixture(scope="module")
def trained(topic_sample, tmp_path_factory):
    """A small tagger trained under protocol cv on 300 rows (the `make train` way: every row learned)."""
    from mlpkg.tasks import train

    folder = tmp_path_factory.mktemp("trained")
    topic_sample.head(300)[["id", "title", "text", "tags", "group"]].to_parquet(folder / "rows.parquet")
    cfg = parse_config({"model": {"name": "tfidf_linear.v1", "char_ngrams": [], "max_features_word": 5000},
                        "output_dir": str(folder / "m"),
                        "data": {"path": str(folder / "rows.parquet"), "labels": LABELS},
                        "evaluation": {"protocol": "cv", "report": False, "keyword_baseline": False}}, "x.yaml")
    train(cfg, log=lambda *_: None)
    return folder / "m"


def test_evaluate_on_rows_the_model_learned_from_warns_with_their_count(trained, topic_sample, tmp_path, capsys):
    from mlpkg.cli import main

    rows = topic_sample.iloc[250:330][["id", "title", "text", "tags"]]  # 50 learned rows, 30 new ones
    rows.to_parquet(tmp_path / "eval.parquet")
    assert main(["evaluate", "--model", str(trained), "--data", str(tmp_path / "eval.parquet"),
                 "--output", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"mlpkg evaluate: warning: [W002] 50 of the 80 rows evaluated are rows {trained} learned from" in err
    assert "mlpkg cv --config" in err
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["eval"]["learned_rows"] == 50
    assert "[W002] 50 of the 80 rows evaluated" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    rows.iloc[50:].to_parquet(tmp_path / "new.parquet")
    assert main(["evaluate", "--model", str(trained), "--data", str(tmp_path / "new.parquet"),
                 "--output", str(tmp_path / "new")]) == 0
    assert "warning" not in capsys.readouterr().err


def _eval_rows(topic_sample):
    """80 rows the fixture's model never saw, with no-tag rows and one article carrying two tags."""
    rows = topic_sample.iloc[300:380][["id", "title", "text", "tags"]].reset_index(drop=True)
    rows.at[0, "tags"] = ["umkm", "pendidikan"]
    return rows


def test_labelled_csv_reads_an_empty_cell_as_no_tag_and_pipe_separated_tags(trained, topic_sample, tmp_path):
    from mlpkg.evaluate.saved_model import evaluate_model_dir

    rows = _eval_rows(topic_sample)
    rows.to_parquet(tmp_path / "rows.parquet")
    # as `mlpkg tag` writes CSV tags: joined by |, an empty cell for none
    rows.assign(tags=["|".join(t) for t in rows.tags]).to_csv(tmp_path / "rows.csv", index=False)
    from_csv = evaluate_model_dir(str(trained), str(tmp_path / "rows.csv"))["metrics"]
    assert from_csv == evaluate_model_dir(str(trained), str(tmp_path / "rows.parquet"))["metrics"]
    assert from_csv["n"] == 80 and from_csv["per_label"]["pendidikan"]["support"] == sum(
        "pendidikan" in t for t in rows.tags)


def test_one_reader_for_data_files_semicolon_bom_crlf_and_coded_errors(trained, topic_sample, tmp_path, capsys):
    from mlpkg.cli import main

    rows = _eval_rows(topic_sample).assign(tags=lambda d: ["|".join(t) for t in d.tags])
    # a semicolon CSV with a BOM and CRLF line ends, as spreadsheets save it: `mlpkg tag` reads it, so does evaluate
    rows.to_csv(tmp_path / "excel.csv", sep=";", index=False, lineterminator="\r\n", encoding="utf-8-sig")
    rows.to_csv(tmp_path / "plain.csv", index=False)
    for name in ("excel", "plain"):
        assert main(["evaluate", "--model", str(trained), "--data", str(tmp_path / f"{name}.csv"),
                     "--output", str(tmp_path / name)]) == 0
    capsys.readouterr()
    metrics = [json.loads((tmp_path / name / "metrics.json").read_text())[name] for name in ("excel", "plain")]
    assert metrics[0]["per_label"] == metrics[1]["per_label"] and metrics[0]["n"] == 80
    (tmp_path / "broken.csv").write_text('id;title;text;tags\r\n1;"Koperasi;ada;teks;lebih\r\n', encoding="utf-8")
    (tmp_path / "nolabel.csv").write_text("id;title;text\r\n1;Koperasi;Rapat anggota koperasi.\r\n", encoding="utf-8")
    for name, expected in [("broken", "broken.csv: line 2: "), ("nolabel", "the CSV header has no 'text' and 'tags'")]:
        assert main(["evaluate", "--model", str(trained), "--data", str(tmp_path / f"{name}.csv")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("mlpkg evaluate: error: [E002] ") and expected in err and "Traceback" not in err


def test_report_worst_errors_lists_misses_and_false_alarms_per_tag(trained, topic_sample, tmp_path):
    from mlpkg.classify.evaluation import score_classifier
    from mlpkg.core.directory import load_model
    from mlpkg.data.labelled import LabelledSplit
    from mlpkg.evaluate.saved_model import evaluate_model_dir
    from mlpkg.text.sentences import split_sentences

    model = load_model(trained)
    rows = topic_sample.iloc[300:700]
    half = len(rows) // 2  # the second half has no title: its first sentence stands in
    titles = list(rows.title[:half]) + [""] * (len(rows) - half)
    data = LabelledSplit(list(rows.id), [f"{t}\n{b}" if t else b for t, b in zip(titles, rows.text)],
                         [list(t) for t in rows.tags], titles=titles)
    scored = score_classifier(model, data, worst=5)
    proba, Y = scored["proba"], scored["Y"]
    P = model.binarize(scored["pred"])
    cut = [model.thresholds_[label] for label in LABELS]
    for j, label in enumerate(LABELS):
        lists = scored["errors"][label]
        assert set(lists) == {"misses", "false_alarms"}
        missed = [i for i in range(len(rows)) if Y[i, j] and not P[i, j]]
        expected = sorted(missed, key=lambda i: proba[i, j])[:5]  # lowest probability: the furthest under the cut
        assert [e["id"] for e in lists["misses"]] == [data.ids[i] for i in expected]
        assert [e["score"] for e in lists["misses"]] == pytest.approx([cut[j] - proba[i, j] for i in expected])
        alarms = [i for i in range(len(rows)) if P[i, j] and not Y[i, j]]
        assert len(lists["false_alarms"]) == min(5, len(alarms))
    assert sum(len(scored["errors"][label]["misses"]) for label in LABELS) > 0  # misses are shown
    shown = [e for label in LABELS for key in ("misses", "false_alarms") for e in scored["errors"][label][key]]
    for e in shown:
        i = data.ids.index(e["id"])
        assert e["title"] == (titles[i] or split_sentences(rows.text.iloc[i])[0])
    rows.assign(title=titles)[["id", "title", "text", "tags"]].to_parquet(tmp_path / "rows.parquet")
    evaluate_model_dir(str(trained), str(tmp_path / "rows.parquet"), output=str(tmp_path / "out"))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert all(f"{label}: worst misses" in page and f"{label}: worst false alarms" in page for label in LABELS)
