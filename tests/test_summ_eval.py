"""Summariser evaluation (ROUGE protocol, gold agreement), training from a config, the JSONL command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rouge_score import rouge_scorer

from mlpkg.cli import main
from mlpkg.config import load_config, parse_config
from mlpkg.core.directory import load_model, verify_manifest
from mlpkg.errors import DataError
from mlpkg.summarize import LeadSummarizer, TrainedExtractor
from mlpkg.summarize.evaluation import evaluate_summarizer_file, load_summary_data, oracle_choices
from mlpkg.summarize.graph import pagerank
from mlpkg.summarize.rouge import gold_agreement, paper_prep, rouge_scores
from mlpkg.summarize.training import train_summarizer
from mlpkg.summarize.trees import BoostedTrees

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@pytest.fixture(scope="module")
def small_indosum(tmp_path_factory) -> Path:
    """40 IndoSum articles per split (folds 1-4), as a parquet file."""
    df = pd.read_parquet(ROOT / "data" / "indosum.parquet")
    sample = pd.concat([df[df["fold"] == f].head(20) for f in (1, 2, 3, 4)])
    path = tmp_path_factory.mktemp("indosum") / "small.parquet"
    sample.to_parquet(path)
    return path


def test_rouge_follows_the_published_protocol(small_indosum):
    df = pd.read_parquet(small_indosum).head(10)
    system = [list(s[:3]) for s in df.sentences]
    references = [list(s) for s in df.summary]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=False)
    direct = [scorer.score("\n".join(r), "\n".join(s)) for s, r in zip(system, references)]
    expected = {name: round(100 * float(np.mean([d[key].fmeasure for d in direct])), 2)
                for name, key in (("rouge1", "rouge1"), ("rouge2", "rouge2"), ("rougeL", "rougeLsum"))}
    assert rouge_scores(system, references) == expected


def test_paper_prep_lowercases_drops_punctuation_and_zeroes_digits():
    assert paper_prep("Harga BBM naik 4,9 persen, kata BPS.") == "harga bbm naik 0 0 persen kata bps"
    system, reference = [["Inflasi 2025 naik 3 persen."]], [["inflasi 2025 naik 3 persen ."]]
    assert rouge_scores(system, reference)["rouge1"] == 100.0
    assert rouge_scores(system, reference, paper=True)["rouge1"] == 60.0


def test_gold_agreement_counts_sentences():
    scores = gold_agreement([[0, 1], [0]], [[True, False, True], [True, False]])
    assert scores == {"gold_accuracy": 60.0, "gold_precision": 66.67, "gold_recall": 66.67, "gold_f1": 66.67}


def test_rouge_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 system summaries but 1 references"):
        rouge_scores([["a"], ["b"]], [["a"]])


def test_oracle_is_the_first_three_gold_sentences():
    assert oracle_choices([[False, True, True, False, True, True], [True]]) == [[1, 2, 4], [0]]


def test_pagerank_ranks_each_graph_of_a_block_diagonal_matrix_on_its_own():
    star = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
    blocks = np.zeros((5, 5))
    blocks[:3, :3] = star
    blocks[3:, 3:] = [[0, 1], [0, 0]]  # node 4 has no out-edge
    ranks = pagerank(blocks, np.array([0, 0, 0, 1, 1]))
    assert np.allclose(ranks[:3], pagerank(star), atol=1e-6) and np.isclose(ranks[:3].sum(), 1.0, atol=1e-6)
    assert np.isclose(ranks[3:].sum(), 1.0, atol=1e-6) and ranks[4] > ranks[3]


def test_exported_trees_match_scikit_learn():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0.3).astype(int)
    with threadpool_limits(limits=1, user_api="openmp"):  # threads only slow a fit this small
        model = HistGradientBoostingClassifier(max_iter=30, max_depth=4, random_state=0).fit(X, y)
    trees = BoostedTrees.from_sklearn(model)
    assert np.allclose(trees.predict_proba(X), model.predict_proba(X)[:, 1], atol=1e-10)
    assert np.allclose(BoostedTrees.from_arrays(trees.arrays()).decision_function(X), trees.decision_function(X))


def test_evaluate_a_saved_summarizer_on_a_file(small_indosum, tmp_path):
    model_dir = LeadSummarizer(k=3).fit().save(tmp_path / "lead")
    result = evaluate_summarizer_file(str(model_dir), str(small_indosum), split="test", output=tmp_path / "eval")
    metrics = result["metrics"]
    assert set(metrics) == {"lead.v1", "LEAD-3", "ORACLE"}
    assert metrics["lead.v1"]["sentences"]["articles"] == 20
    assert metrics["lead.v1"]["sentences"]["rouge1"] == metrics["LEAD-3"]["sentences"]["rouge1"]
    assert metrics["ORACLE"]["sentences"]["gold_precision"] == 100.0
    assert any(line.split()[:4] == ["ORACLE", "IndoSum", "sentences", "20"] for line in result["table"].splitlines())
    assert "|" not in result["table"] and "**" not in result["table"]
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["LEAD-3"]["text"]["articles"] == 20


def test_evaluate_names_a_missing_column(small_indosum, tmp_path):
    df = pd.read_parquet(small_indosum).drop(columns=["summary"])
    df.to_parquet(tmp_path / "no_summary.parquet")
    with pytest.raises(DataError, match="missing column 'summary'"):
        load_summary_data(str(tmp_path / "no_summary.parquet"))


def _config(small_indosum: Path, output: Path, model: dict, fold_field: str | None = None):
    return parse_config({"task": "summarize", "output_dir": str(output), "model": model,
                         "data": {"path": str(small_indosum), "title_field": None, "fold_field": fold_field}})


def test_train_summarizer_writes_a_self_describing_directory(small_indosum, tmp_path):
    cfg = _config(small_indosum, tmp_path / "trained", {"name": "trained_extractor.v1", "max_iter": 20}, "fold")
    result = train_summarizer(cfg, log=lambda *_: None)
    out = Path(result["output_dir"])
    assert {"README.md", "metrics.json", "config.yaml", "manifest.json", "mlpkg.json", "weights.npz"} <= {
        p.name for p in out.iterdir()}
    verify_manifest(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["test"]) == {"trained_extractor.v1", "LEAD-3", "ORACLE"}
    assert metrics["fold_rotation"]["sentences"]["articles"] == 80
    assert set(metrics["fold_rotation"]["sentences"]["rouge1_per_fold"]) == {"1", "2", "3", "4"}
    assert "Trained on the `train` (fold 1, 2) and `dev` (fold 3) splits; tested on `test` (fold 4)" in (
        out / "README.md").read_text()
    assert isinstance(load_model(out), TrainedExtractor)


def test_train_an_unsupervised_summarizer(small_indosum, tmp_path):
    result = train_summarizer(_config(small_indosum, tmp_path / "lead", {"name": "lead.v1"}), log=lambda *_: None)
    assert result["metrics"]["test"]["lead.v1"]["sentences"]["articles"] == 20
    assert "Unsupervised" in (Path(result["output_dir"]) / "README.md").read_text()


def test_train_refuses_a_classifier_name_for_summarize(small_indosum, tmp_path):
    with pytest.raises(DataError, match="not a summariser"):
        train_summarizer(_config(small_indosum, tmp_path / "x", {"name": "tfidf_linear.v1"}), log=lambda *_: None)


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("summary_*.yaml")), ids=lambda p: p.name)
def test_shipped_summary_configs_load(config):
    cfg = load_config(config)
    assert cfg.task == "summarize" and cfg.data.path == "data/indosum.parquet"


def test_summarize_command_reads_and_writes_jsonl(small_indosum, tmp_path, capsys):
    df = pd.read_parquet(small_indosum).head(3)
    title, body = (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8").split("\n", 1)
    rows = [{"id": i, "text": t} for i, t in zip(df.id, df.text)] + [{"id": 7, "title": title, "text": body}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    model_dir = LeadSummarizer(k=3).fit().save(tmp_path / "lead")
    assert main(["summarize", "--model", str(model_dir), "--input", str(src),
                 "--output", str(tmp_path / "o.jsonl"), "--workers", "1", "--progress", "none"]) == 0
    out = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in out] == [*df.id, "7"]  # ids as strings, as `mlpkg tag` writes them
    assert all(list(r) == ["id", "title", "summary", "summarizer", "summarizer_hash"] and len(r["summary"]) == 3
               for r in out)
    assert "read 4, summarised 4, rejected 0" in capsys.readouterr().out


def test_summarize_command_rejects_a_bad_line_like_the_tag_job(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "Koperasi tumbuh."}\n{"id": 2}\n', encoding="utf-8")
    model_dir = LeadSummarizer().fit().save(tmp_path / "lead")
    code = main(["summarize", "--model", str(model_dir), "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                 "--workers", "1", "--progress", "none", "--max-reject-rate", "0.5"])
    assert code == 0 and "read 2, summarised 1, rejected 1" in capsys.readouterr().out
    assert [json.loads(line)["id"] for line in (tmp_path / "o.jsonl").read_text().splitlines()] == ["1"]
    [reject] = [json.loads(line) for line in (tmp_path / "o.rejects.jsonl").read_text().splitlines()]
    assert reject["row"] == 2 and reject["reason"] == "missing_text"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_summarize_command_writes_csv_and_parquet_without_tag_columns(tmp_path, suffix, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Koperasi tumbuh. Anggota bertambah. Modal naik."}\n', encoding="utf-8")
    model_dir = LeadSummarizer(k=2).fit().save(tmp_path / "lead")
    out = tmp_path / f"o{suffix}"
    assert main(["summarize", "--model", str(model_dir), "--input", str(src), "--output", str(out),
                 "--workers", "1", "--progress", "none"]) == 0
    df = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(df.columns) == ["id", "title", "summary", "summarizer", "summarizer_hash"]
    summary = df.summary[0] if suffix == ".csv" else " ".join(df.summary[0])  # CSV: the sentences joined by a space
    assert summary == "Koperasi tumbuh. Anggota bertambah."
