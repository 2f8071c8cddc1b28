"""A model folder holds exactly what its model wrote, and a model loads nothing else (issues 22 and 27).

Models are tiny TF-IDF taggers trained on a few hundred rows of data/topics.parquet.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import LABELS, articles, build_tiny_tagger, write_jsonl

from mlpkg.cli import main
from mlpkg.core import directory
from mlpkg.core.directory import MANIFEST_FILE, META_FILE, load_model, write_manifest
from mlpkg.errors import ModelIntegrityError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> Path:
    return build_tiny_tagger(tmp_path_factory.mktemp("tagger") / "model")


@pytest.fixture(scope="module")
def small_topics(tmp_path_factory) -> Path:
    """About 150 labelled articles with every tag: enough for `make train`'s config to cross-validate."""
    df = pd.read_parquet(ROOT / "data" / "topics.parquet")
    per_tag = [df[df.tags.map(lambda tags, tag=tag: tag in tags)].head(30) for tag in LABELS]
    rows = pd.concat([*per_tag, df[df.tags.map(len) == 0].head(60)]).drop_duplicates("id")
    path = tmp_path_factory.mktemp("data") / "topics_small.parquet"
    rows.to_parquet(path)
    return path


def _train_argv(data: Path, out: Path, *extra: str) -> list[str]:
    """`make train` (train.py = mlpkg train on configs/topic_tfidf.yaml) on the small data."""
    return ["train", "--config", str(ROOT / "configs" / "topic_tfidf.yaml"), "--output-dir", str(out),
            "--set", f"data.path={data}", "--set", "evaluation.keyword_baseline=false", *extra]


def _listed(folder: Path) -> set[str]:
    return set(json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["sha256"])


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST_FILE}


def _copy(model: Path, target: Path) -> Path:
    shutil.copytree(model, target)
    return target


# --- issue 22, item 9: a reused --output-dir keeps no stale file ------------------------------------------

def test_reused_output_dir_keeps_no_stale_files(small_topics, tmp_path, capsys):
    out = tmp_path / "models" / "topic_tfidf"
    assert main(_train_argv(small_topics, out)) == 0
    first = _listed(out)
    assert "report.html" in first and first == _files(out)
    (out / "notes.txt").write_text("catatan analis", encoding="utf-8")  # dropped in by hand
    (out / "model.onnx").write_bytes(b"an export of older weights")
    (out / "hf").mkdir()
    (out / "hf" / "config.json").write_text("{}", encoding="utf-8")

    assert main(_train_argv(small_topics, out)) == 0  # `make train` twice into the same folder
    assert _listed(out) == first == _files(out)  # the folder was replaced whole: only this run's files
    assert not (out / "notes.txt").exists() and not (out / "hf").exists()
    assert [p.name for p in out.parent.iterdir()] == ["topic_tfidf"]  # no temporary folder left beside it
    load_model(out)
    assert "model card" in capsys.readouterr().out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _retuned(tagger: Path):
    model = load_model(tagger)
    model.coef_ = model.coef_ * 2
    model.thresholds_ = {label: 0.9 for label in model.classes_}
    return model


def test_reused_output_dir_manifest_is_written_once_while_the_old_model_stays_readable(tagger, tmp_path,
                                                                                       monkeypatch):
    out = _copy(tagger, tmp_path / "model")
    before = _snapshot(out)
    seen = []
    original = directory.write_text

    def spy(path, text):
        if Path(path).name == MANIFEST_FILE:
            seen.append(_snapshot(out))
        original(path, text)

    monkeypatch.setattr(directory, "write_text", spy)
    directory.write_model_dir(out, _retuned(tagger), {"README.md": "# model card", "metrics.json": {"n": 3}})
    assert seen == [before]  # once, and until then the folder readers see held the previous model, untouched
    assert _listed(out) == _files(out) and _snapshot(out) != before


def test_reused_output_dir_a_failed_save_leaves_the_previous_model_whole(tagger, tmp_path, monkeypatch):
    out = _copy(tagger, tmp_path / "model")
    before = _snapshot(out)
    original = directory.write_json

    def fail_at_meta(path, obj):
        if Path(path).name == META_FILE:
            raise OSError(28, "No space left on device")
        original(path, obj)

    monkeypatch.setattr(directory, "write_json", fail_at_meta)  # after weights.npz and vocab_word.json
    with pytest.raises(OSError, match="No space left"):
        _retuned(tagger).save(out)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary folder left beside it


def test_reused_output_dir_that_holds_no_model_is_refused_without_overwrite(small_topics, tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    (out / "analysis.csv").write_text("id,tags\n", encoding="utf-8")
    assert main(_train_argv(small_topics, out)) == 2
    err = capsys.readouterr().err
    assert "[E001] output_dir" in err and "holds no model" in err and "--overwrite" in err
    assert [p.name for p in out.iterdir()] == ["analysis.csv"]  # refused before training, nothing written

    assert main(_train_argv(small_topics, out, "--overwrite")) == 0
    assert not (out / "analysis.csv").exists() and _listed(out) == _files(out)


# --- issue 27, item 2: everything a model loads is a regular file of its folder, listed once --------------

def _link_a_listed_file(model: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    shutil.move(model / "vocab_word.json", outside)
    (model / "vocab_word.json").symlink_to(outside)  # same bytes, same hash: only the link is wrong


def _link_a_folder(model: Path, tmp_path: Path) -> None:
    (tmp_path / "weights_elsewhere").mkdir()
    (tmp_path / "weights_elsewhere" / "model.safetensors").write_bytes(b"weights nobody hashed")
    (model / "hf").symlink_to(tmp_path / "weights_elsewhere")


def _list_a_file_outside(model: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_text("[]", encoding="utf-8")
    manifest = json.loads((model / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["sha256"]["../outside.json"] = directory.sha256_file(tmp_path / "outside.json")
    (model / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def _list_a_file_twice(model: Path, tmp_path: Path) -> None:
    text = (model / MANIFEST_FILE).read_text(encoding="utf-8")
    first = '"vocab_word.json": "' + "0" * 64 + '",\n'  # the last entry wins in a plain dict: this one is unchecked
    (model / MANIFEST_FILE).write_text(text.replace('"sha256": {\n', '"sha256": {\n' + first), encoding="utf-8")


@pytest.mark.parametrize("attack, message", [
    (_link_a_listed_file, r"vocab_word.json is a symbolic link"),
    (_link_a_folder, r"hf is a symbolic link"),
    (_list_a_file_outside, r"lists '\.\./outside.json': a manifest lists files inside its model folder"),
    (_list_a_file_twice, r"lists 'vocab_word.json' twice"),
], ids=["linked-file", "linked-folder", "dot-dot", "listed-twice"])
def test_model_loads_only_regular_files_of_its_folder_listed_once(tagger, tmp_path, attack, message):
    model = _copy(tagger, tmp_path / "model")
    attack(model, tmp_path)
    with pytest.raises(ModelIntegrityError, match=r"^\[E004\] .*" + message):
        load_model(model)


@pytest.mark.parametrize("checkpoint_dir", ["ABSOLUTE", "../checkpoint"])
def test_model_loads_no_checkpoint_dir_outside_its_folder(tagger, tmp_path, checkpoint_dir):
    pytest.importorskip("transformers")
    elsewhere = tmp_path / "checkpoint"
    elsewhere.mkdir()
    (elsewhere / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    checkpoint_dir = str(elsewhere) if checkpoint_dir == "ABSOLUTE" else checkpoint_dir
    model = _copy(tagger, tmp_path / "model")
    meta = json.loads((model / META_FILE).read_text(encoding="utf-8"))
    meta.update(name="indobert_classifier.v1", params={}, checkpoint_dir=checkpoint_dir)
    (model / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    write_manifest(model)  # a consistent manifest: the folder itself passes verification
    with pytest.raises(ModelIntegrityError, match=r"^\[E004\] .*mlpkg.json: checkpoint_dir .* is not a file or "
                                                  r"folder inside the model folder"):
        load_model(model)


# --- issue 27, item 6: a broken model is E004/E009 from the driver, not a dead worker (E104) ---------------

def _object_array(model: Path) -> None:
    with np.load(model / "weights.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["intercept"] = np.array([None, "koperasi", 1], dtype=object)
    np.savez(model / "weights.npz", **arrays)


def _settings_of_another_model(model: Path) -> None:
    meta = json.loads((model / META_FILE).read_text(encoding="utf-8"))
    meta["params"].update(lexicon={"koperasi": ["koperasi"]}, lexicon_weight=0.5)  # tfidf_lexicon.v1's settings
    (model / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def _a_summariser_named_as_a_classifier(model: Path) -> None:
    meta = json.loads((model / META_FILE).read_text(encoding="utf-8"))
    meta["name"] = "lead.v1"
    (model / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def _vocabulary_of_other_weights(model: Path) -> None:
    terms = json.loads((model / "vocab_word.json").read_text(encoding="utf-8"))
    (model / "vocab_word.json").write_text(json.dumps(terms[:-1]), encoding="utf-8")


def _folder_listed_as_a_file(model: Path) -> None:
    (model / "extra").mkdir()
    manifest = json.loads((model / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["sha256"]["extra"] = "0" * 64
    (model / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("breakage, message", [
    (_object_array, r"\[E004\] .*weights.npz is not a file of plain numeric arrays"),
    (_settings_of_another_model, r"\[E004\] .*mlpkg.json: the params do not fit tfidf_linear.v1: .*'lexicon'"),
    (_a_summariser_named_as_a_classifier, r"\[E009\] .*mlpkg.json: kind 'classifier', but lead.v1 is a summarizer"),
    (_vocabulary_of_other_weights, r"\[E004\] .*vocab_word.json: expected a list of \d+ distinct terms"),
    (_folder_listed_as_a_file, r"\[E004\] .*manifest.json lists extra, which is a folder, as a file"),
], ids=["object-array", "other-settings", "other-kind", "vocabulary", "folder-as-file"])
def test_broken_model_is_reported_by_the_driver_naming_its_file(tagger, tmp_path, monkeypatch, capsys, breakage,
                                                                message):
    model = _copy(tagger, tmp_path / "model")
    breakage(model)
    if breakage is not _folder_listed_as_a_file:
        write_manifest(model)  # hashes that match: the files themselves are what is wrong

    def no_workers(*args, **kwargs):
        raise AssertionError("workers were started for a broken model")

    monkeypatch.setattr("mlpkg.batch.job._tag_chunks", no_workers)
    src = write_jsonl(tmp_path / "in.jsonl", articles(3))
    argv = ["tag", "--model", str(model), "--input", str(src), "--output", str(tmp_path / "out.jsonl"),
            "--workers", "1", "--progress", "none"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlpkg tag: error: ") and "E104" not in err
    assert re.search(message, err), err
