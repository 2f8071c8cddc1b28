"""`mlpkg label`: labels file, queue, session, terminal mode, Label Studio round trip, training on
labels files, and the server's access rules (the browser test is tests/test_label_browser.py)."""

from __future__ import annotations

import json
import multiprocessing
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from label_helpers import (
    LABELS,
    LEXICON,
    Server,
    fit_on_labels,
    fit_tiny_model,
    pool_rows,
    score,
    tagged_otherwise,
    training_rows_file,
    write_pool,
)

from mlpkg.batch.validate import Article
from mlpkg.config import load_config
from mlpkg.data.labelled import load_split
from mlpkg.errors import DuplicateLabelError, LabelsFileError, MissingReasonError, UnknownTagError
from mlpkg.label.labelstudio import export_tasks, import_annotations
from mlpkg.label.queue import CandidateQueue, highlight, read_pool
from mlpkg.label.session import LabelSession
from mlpkg.label.store import LabelLog, append_event, labelled_rows, live_decisions
from mlpkg.label.terminal import run_terminal

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return pool_rows(40)


@pytest.fixture(scope="module")
def pool(rows, tmp_path_factory) -> Path:
    return write_pool(tmp_path_factory.mktemp("pool") / "pool.jsonl", rows)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return fit_tiny_model(tmp_path_factory.mktemp("model") / "tagger")


def _label(id_: str, tags: list[str], annotator: str = "ana", **extra) -> dict:
    return {"action": "label", "id": id_, "tags": tags, "rejected": [t for t in LABELS if t not in tags],
            "confidence": "high", "reason": "", "annotator": annotator, "title": "Koperasi desa",
            "text": "Koperasi desa menyalurkan pinjaman kepada anggotanya.", **extra}


# --- the labels file ---------------------------------------------------------------------------

def test_append_writes_whole_lines_and_cuts_off_a_torn_tail(tmp_path):
    path = tmp_path / "labels.jsonl"
    append_event(path, _label("a", ["koperasi"]))
    with open(path, "ab") as fh:
        fh.write(b'{"action": "label", "id": "torn"')  # a power cut mid-write: never acknowledged
    assert [e.id for e in LabelLog(path).events] == ["a"]  # a line without its newline is not read yet
    append_event(path, _label("b", []))
    assert [e.id for e in LabelLog(path).events] == ["a", "b"]
    assert path.with_name("labels.jsonl.torn").read_bytes() == b'{"action": "label", "id": "torn"\n'
    with open(path, "ab") as fh:
        fh.write(json.dumps(_label("c", [])).encode())  # a hand edit without the last newline is kept
    append_event(path, _label("d", []))
    assert [e.id for e in LabelLog(path).events] == ["a", "b", "c", "d"]
    with open(path, "ab") as fh:
        fh.write(b"not json\n")
    with pytest.raises(LabelsFileError, match=r"\[E201\].*line 5 is not JSON"):
        LabelLog(path)


def test_an_unwritable_labels_file_fails_before_labelling(pool, tmp_path):
    from mlpkg.errors import OutputNotWritableError

    (tmp_path / "labels.jsonl").mkdir()  # not writable as a file, even by root
    with pytest.raises(OutputNotWritableError, match=r"\[E101\] labels file .*labels.jsonl cannot be written"):
        LabelSession(str(pool), tmp_path / "labels.jsonl")
    with pytest.raises(OutputNotWritableError, match=r"\[E101\] labels file .* cannot be opened for writing"):
        append_event(tmp_path / "labels.jsonl", _label("a", []))
    session = LabelSession(str(pool), tmp_path / "new" / "folder" / "labels.jsonl")  # folders are created
    assert session.labels_path.parent.is_dir()


def _writer(path: str, who: str, n: int) -> None:
    for i in range(n):
        append_event(path, _label(f"{who}-{i}", ["umkm"], annotator=who, text="Pelaku UMKM. " * 400))


def test_two_annotators_writing_at_once_never_corrupt_the_file(tmp_path):
    path = tmp_path / "labels.jsonl"
    procs = [multiprocessing.get_context("fork").Process(target=_writer, args=(str(path), who, 60))
             for who in ("ana", "budi")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    events = LabelLog(path).events  # every line parses
    assert len(events) == 120 and len({e.id for e in events}) == 120


def test_undo_cancels_the_annotators_latest_decision_only(tmp_path):
    path = tmp_path / "labels.jsonl"
    append_event(path, _label("a", ["koperasi"]))
    append_event(path, _label("b", [], annotator="budi"))
    append_event(path, {"action": "skip", "id": "c", "annotator": "ana"})
    append_event(path, {"action": "undo", "id": "c", "annotator": "ana"})
    append_event(path, {"action": "undo", "id": "b", "annotator": "ana"})  # not ana's: nothing happens
    labels, skips = live_decisions(LabelLog(path).events)
    assert sorted(labels) == ["a", "b"] and skips == set()


def test_labels_file_checks_are_coded_errors(tmp_path):
    unknown = tmp_path / "unknown.jsonl"
    append_event(unknown, _label("a", ["otomotif"]))
    with pytest.raises(UnknownTagError, match=r"\[E202\].*line 1 \(id 'a'\): unknown tag 'otomotif'"):
        labelled_rows([unknown], LABELS)
    unsure = tmp_path / "unsure.jsonl"
    append_event(unsure, _label("a", ["umkm"], confidence="low"))
    with pytest.raises(MissingReasonError, match=r"\[E203\].*line 1 \(id 'a'\): marked unsure"):
        labelled_rows([unsure], LABELS)
    twice = tmp_path / "twice.jsonl"
    append_event(twice, _label("a", ["koperasi"]))
    append_event(twice, _label("a", [], annotator="budi"))
    with pytest.raises(DuplicateLabelError, match=r"\[E204\].*id 'a' decided twice: line 1 \(ana"):
        labelled_rows([twice], LABELS)
    other = tmp_path / "other.jsonl"
    append_event(other, _label("a", ["umkm"]))
    with pytest.raises(DuplicateLabelError, match=r"\[E204\].*'a' has tags \['umkm'\] here and \['koperasi'\]"):
        labelled_rows([_ok(tmp_path), other], LABELS)
    with pytest.raises(DuplicateLabelError, match=r"already a labelled row of data/topics.parquet"):
        labelled_rows([other], LABELS, known_ids=["a"], known_source="data/topics.parquet")


def _ok(tmp_path: Path) -> Path:
    path = tmp_path / "ok.jsonl"
    append_event(path, _label("a", ["koperasi"]))
    return path


# --- the queue -----------------------------------------------------------------------------------

def test_pool_is_read_as_mlpkg_tag_reads_it(tmp_path, rows):
    path = tmp_path / "pool.jsonl"
    write_pool(path, rows[:3])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"id": "broken"\n' + json.dumps({"id": rows[0]["id"], "text": "sama id"}) + "\n")
    articles, rejected = read_pool(str(path))
    assert [a.id for a in articles] == [r["id"] for r in rows[:3]] and rejected == 2


def test_queue_collapses_near_copies_and_drops_decided_groups(rows):
    r = rows[0]
    copy = Article(2, "copy", r["title"], r["text"] + "\nEditor: Budi")
    articles = [Article(1, r["id"], r["title"], r["text"]), copy,
                *(Article(i + 3, x["id"], x["title"], x["text"]) for i, x in enumerate(rows[1:6]))]
    queue = CandidateQueue(articles, tags=LABELS, lexicon=LEXICON)
    ids = [c.id for c in queue.ranked()]
    assert len(ids) == 6 and (r["id"] in ids) != ("copy" in ids)  # one of the two near-copies
    assert r["id"] not in [c.id for c in queue.ranked({"copy"})] and len(queue.ranked({"copy"})) == 5


def test_queue_ranks_lexicon_hits_the_model_misses_and_reranks_after_a_retrain(rows, model, tmp_path):
    from mlpkg.core.directory import load_model

    articles = [Article(i, r["id"], r["title"], r["text"]) for i, r in enumerate(rows, 1)]
    queue = CandidateQueue(articles, tags=LABELS, lexicon=LEXICON, model=load_model(model), focus="koperasi")
    top = queue.ranked()[:5]
    assert all(c.tag == "koperasi" and c.reasons for c in top)
    assert all(c.hits["koperasi"] > 0 or abs(c.scores["koperasi"] - 0.5) < 0.3 for c in top[:3])
    before = [c.id for c in queue.ranked()]
    # the annotator labels the top five; the model retrained on them ranks the rest differently
    truth = {r["id"]: r["tags"] for r in rows}
    extra = [{"title": c.title, "text": c.text, "tags": truth[c.id]} for c in top]
    queue.rescore(load_model(fit_tiny_model(tmp_path / "retrained", extra)))
    after = [c.id for c in queue.ranked({c.id for c in top})]
    assert after != [i for i in before if i not in {c.id for c in top}]


def test_label_queue_prints_a_header_and_says_when_the_queue_is_empty(tmp_path, rows, capsys):
    from mlpkg.cli import main

    pool = write_pool(tmp_path / "pool.jsonl", rows[:2])
    labels = tmp_path / "labels.jsonl"
    args = ["label", "queue", "--pool", str(pool), "--labels", str(labels),
            "--config", str(ROOT / "configs" / "topic_tfidf.yaml")]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["priority", "id", "tag", "scores", "title", "why"] and len(lines) == 3
    for r in rows[:2]:
        append_event(labels, {"action": "skip", "id": r["id"], "annotator": "ana"})
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("the queue is empty: every candidate")


def test_highlight_marks_lexicon_terms_in_display_text():
    segments = highlight("Rapat Anggota Tahunan KSP Maju dan koperasi-koperasi desa",
                         [("rapat anggota tahunan", "koperasi"), ("ksp\\b", "koperasi"), ("koperasi", "koperasi")])
    assert [s for s, tag in segments if tag] == ["Rapat Anggota Tahunan", "KSP", "koperasi", "koperasi"]
    assert "".join(s for s, _ in segments) == "Rapat Anggota Tahunan KSP Maju dan koperasi-koperasi desa"


# --- the session (what the page and the terminal share) --------------------------------------------

def test_session_writes_decisions_resumes_and_undoes(pool, model, tmp_path):
    labels = tmp_path / "labels.jsonl"
    session = LabelSession(str(pool), labels, model_dir=model, tag="koperasi")
    order = [c.id for c in session.ranked()]
    first = session.current("ana")
    assert first.id == order[0] and session.current("budi").id == order[1]  # not both on one article
    session.decide("ana", first.id, ["koperasi"], reason="Kopdes")
    session.skip("ana", session.current("ana").id)
    with pytest.raises(MissingReasonError, match=r"\[E203\] an unsure decision needs a short reason"):
        session.decide("ana", session.current("ana").id, [], ["koperasi"], unsure=True)
    event = json.loads(labels.read_text(encoding="utf-8").splitlines()[0])
    assert event["annotator"] == "ana" and event["model_hash"] == session.model_hash and event["text"]
    assert event["tags"] == ["koperasi"] and event["rejected"] == []  # the other tags stay undecided
    progress = session.progress("ana")
    assert progress["labelled_today"] == 1 and progress["positives"]["koperasi"] == 1 and progress["skipped"] == 1
    # a new session on the same file resumes after the decided and skipped articles
    again = LabelSession(str(pool), labels, model_dir=model, tag="koperasi")
    assert again.current("ana").id == order[1]  # budi had it on screen in the other session only
    assert again.undo("ana") == order[2]  # the skip is undone: that article is back on ana's screen
    assert again.current("ana").id == order[2]


def test_the_page_shows_the_sentences_behind_each_tag_the_model_gives(pool, model, tmp_path):
    session = LabelSession(str(pool), tmp_path / "labels.jsonl", model_dir=model, tag="koperasi")
    shown = 0
    for c in session.ranked()[:10]:
        article = session.view(c, "ana")["article"]
        given = {t for t, p in article["scores"].items() if p >= session.model.thresholds_[t]}
        assert set(article["evidence"]) == given
        for sentences in article["evidence"].values():
            assert 1 <= len(sentences) <= 2 and all(s in f"{c.title}\n{c.text}" for s in sentences)
            shown += 1
    assert shown  # the queue for koperasi starts with articles the model tags


def test_an_article_held_by_a_closed_tab_is_released(pool, model, tmp_path, monkeypatch):
    import mlpkg.label.session as session_module

    session = LabelSession(str(pool), tmp_path / "labels.jsonl", model_dir=model, tag="koperasi")
    order = [c.id for c in session.ranked()]
    assert session.current("budi").id == order[0] and session.current("ana").id == order[1]
    session.skip("ana", order[1])
    monkeypatch.setattr(session_module, "HOLD_SECONDS", 0)  # budi's tab has not asked for a while
    assert session.current("ana").id == order[0]


def test_session_reranks_when_the_model_is_retrained_into_its_folder(pool, model, rows, tmp_path):
    import shutil

    folder = tmp_path / "tagger"
    shutil.copytree(model, folder)
    session = LabelSession(str(pool), tmp_path / "labels.jsonl", model_dir=folder, tag="koperasi")
    before, old_hash = [c.id for c in session.ranked()], session.model_hash
    truth = {r["id"]: r["tags"] for r in rows}
    extra = [{"title": c.title, "text": c.text, "tags": truth[c.id]} for c in session.ranked()[:8]]
    fit_tiny_model(folder, extra)  # `mlpkg train` into the same folder
    session.current("ana")
    assert session.model_hash != old_hash and [c.id for c in session.ranked()] != before


def test_terminal_mode_writes_the_same_file(pool, model, tmp_path):
    labels = tmp_path / "labels.jsonl"
    session = LabelSession(str(pool), labels, model_dir=model, tag="koperasi")
    order = [c.id for c in session.ranked()]
    script = iter(["y", "2", "", "u", "r berita pasar, koperasi hanya disebut", "n", "s", "z", "q"])
    out = []

    class Out:
        def write(self, s):
            out.append(s)

        def isatty(self):
            return False

    written = run_terminal(session, "citra", read=lambda prompt: next(script), out=Out(), colour=False)
    assert written == 3
    labels_, skips = live_decisions(LabelLog(labels).events)
    assert [labels_[i].data["tags"] for i in order[:3]] == [["koperasi"], ["umkm"], []]
    assert labels_[order[2]].data["confidence"] == "low" and "koperasi hanya" in labels_[order[2]].data["reason"]
    assert skips == set()  # skipped, then undone
    assert "[" in "".join(out)  # lexicon terms marked without colour


class _Out:
    def __init__(self):
        self.parts = []

    def write(self, s):
        self.parts.append(s)

    def isatty(self):
        return False

    def __str__(self):
        return "".join(self.parts)


def test_y_n_decide_the_queued_tag_alone_and_a_retrain_keeps_the_other_tags_score(tmp_path):
    data = training_rows_file(tmp_path / "data.parquet")
    base = fit_on_labels(data)
    base.save(tmp_path / "tagger")
    article, other = tagged_otherwise(base, "koperasi")  # queued for koperasi, the model says e.g. umkm
    before = score(base, article, other)
    assert before >= base.thresholds_[other]
    labels = tmp_path / "labels.jsonl"
    session = LabelSession(str(write_pool(tmp_path / "pool.jsonl", [article])), labels, model_dir=tmp_path / "tagger",
                           tag="koperasi")
    out, script = _Out(), iter(["n"])
    assert run_terminal(session, "citra", read=lambda prompt: next(script), out=out, colour=False) == 1
    assert "1 koperasi, 2 umkm, 3 pendidikan" in str(out)  # which number is which tag
    assert f"saved {article['id']}: 1 koperasi no · 2 umkm ? · 3 pendidikan ?" in str(out)
    (event,) = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    assert event["tags"] == [] and event["rejected"] == ["koperasi"] and event["queue_tag"] == "koperasi"
    (row,) = labelled_rows([labels], LABELS)
    assert row["undecided"] == [t for t in LABELS if t != "koperasi"]
    retrained = fit_on_labels(data, labels)
    assert abs(score(retrained, article, other) - before) < 0.02  # not learnt as a negative of the other tag


def test_terminal_count_leaves_out_an_undone_decision(pool, model, tmp_path):
    session = LabelSession(str(pool), tmp_path / "labels.jsonl", model_dir=model, tag="koperasi")
    script = iter(["y", "z", "q"])  # decide the first, undo it (it is back on screen), quit
    assert run_terminal(session, "citra", read=lambda prompt: next(script), out=_Out(), colour=False) == 0
    assert live_decisions(LabelLog(tmp_path / "labels.jsonl").events)[0] == {}


def test_terminal_strips_control_characters_from_articles(rows, tmp_path):
    r = rows[0]
    evil = {**r, "title": "\x1b]0;pwned\x07" + r["title"] + "\x1b[2J", "text": r["text"] + "\r\x1b[1A\u202etxt.exe"}
    session = LabelSession(str(write_pool(tmp_path / "pool.jsonl", [evil])), tmp_path / "labels.jsonl")
    out = _Out()
    run_terminal(session, "citra", read=lambda prompt: "q", out=out, colour=False)
    assert r["title"] in str(out) and not any(c in str(out) for c in "\x1b\x07\r\u202e")


# --- Label Studio --------------------------------------------------------------------------------

def test_label_studio_export_then_import_round_trip(pool, model, tmp_path):
    session = LabelSession(str(pool), tmp_path / "labels.jsonl", model_dir=model, tag="koperasi")
    info = export_tasks(session, tmp_path / "tasks.json", limit=3)
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert info["tasks"] == 3 and tasks[0]["data"]["mlpkg_id"] == session.ranked()[0].id
    assert tasks[0]["predictions"][0]["result"][0]["type"] == "choices"
    assert '<Choices name="topics" toName="text" choice="multiple"' in (tmp_path / "label_config.xml").read_text()
    # what Label Studio's JSON export gives back: the tasks with annotations
    tasks[0]["annotations"] = [{"completed_by": {"email": "dewi@example.org"}, "was_cancelled": False,
                                "updated_at": "2026-01-02T10:00:00Z",
                                "result": [{"from_name": "topics", "to_name": "text", "type": "choices",
                                            "value": {"choices": ["koperasi"]}}]}]
    tasks[1]["annotations"] = [{"completed_by": 3, "was_cancelled": False, "result": [
        {"from_name": "topics", "to_name": "text", "type": "choices", "value": {"choices": []}},
        {"from_name": "confidence", "to_name": "text", "type": "choices", "value": {"choices": ["unsure"]}},
        {"from_name": "reason", "to_name": "text", "type": "textarea", "value": {"text": ["RAT disebut sekilas"]}}]}]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    labels = tmp_path / "from_ls.jsonl"
    assert import_annotations(export, labels, LABELS) == {"imported": 2, "unchanged": 0, "no_annotation": 1}
    assert import_annotations(export, labels, LABELS)["unchanged"] == 2  # importing twice writes nothing new
    rows = {r["id"]: r for r in labelled_rows([labels], LABELS)}
    assert rows[tasks[0]["data"]["mlpkg_id"]]["tags"] == ["koperasi"]
    assert rows[tasks[0]["data"]["mlpkg_id"]]["annotator"] == "labelstudio:dewi@example.org"


# --- training on labels files ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """60 rows of data/topics.parquet (20 per split), so loading is quick."""
    import pandas as pd

    df = pd.read_parquet(ROOT / "data" / "topics.parquet")
    path = tmp_path_factory.mktemp("data") / "topics.parquet"
    df.groupby("split").head(20).to_parquet(path)
    return path


def _config(data: Path, labels: Path):
    return load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"data.path={data}", f"data.extra_labels=[{labels}]"])


def test_train_reads_labels_files_on_top_of_data(tmp_path, rows, small_data):
    labels = tmp_path / "labels.jsonl"
    append_event(labels, {**_label("new-1", ["koperasi"]), "title": rows[0]["title"], "text": rows[0]["text"]})
    append_event(labels, _label("new-2", []))
    append_event(labels, {"action": "undo", "id": "new-2", "annotator": "ana"})
    append_event(labels, {**_label("new-3", ["umkm"], confidence="low"), "reason": "koperasi hanya disebut"})
    cfg = _config(small_data, labels)
    base = load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"data.path={small_data}"])
    plain, grown = load_split(base.data, "train"), load_split(cfg.data, "train")
    assert len(grown.ids) == len(plain.ids) + 2 and grown.ids[-2] == "new-1" and grown.y[-2] == ["koperasi"]
    assert grown.confidence[-2:] == ["high", "low"]  # an unsure decision counts as unsure in `mlpkg cv`
    assert grown.groups[-2] == "label:new-1" and len(grown.publishers) == len(grown.ids)
    assert len(load_split(cfg.data, "test").ids) == len(load_split(base.data, "test").ids)  # train only
    dup = tmp_path / "dup.jsonl"
    append_event(dup, _label(plain.ids[0], ["koperasi"]))
    with pytest.raises(DuplicateLabelError, match=r"\[E204\].*already a labelled row of .*topics.parquet"):
        load_split(_config(small_data, dup).data, None)


def test_labels_files_are_counted_named_and_hashed_in_the_log_the_card_and_run_json(tmp_path, rows):
    from mlpkg.core.directory import sha256_file
    from mlpkg.tasks import train

    labels = tmp_path / "labels.jsonl"
    for r in rows[:3]:
        append_event(labels, {**_label(r["id"], r["tags"][:1]), "title": r["title"], "text": r["text"]})
    append_event(labels, {"action": "undo", "id": rows[2]["id"], "annotator": "ana"})
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", [
        f"data.path={training_rows_file(tmp_path / 'data.parquet')}", f"data.extra_labels=[{labels}]",
        "evaluation.report=false", "evaluation.keyword_baseline=false", f"output_dir={tmp_path / 'model'}"])
    log = []
    train(cfg, log=log.append)
    digest = sha256_file(labels)
    assert f"labels files (data.extra_labels): {labels}: 2 decisions on 2 articles, sha256 {digest[:16]}" in log
    run = json.loads((tmp_path / "model" / "run.json").read_text(encoding="utf-8"))
    assert run["labels_files"] == [{"file": str(labels), "sha256": digest, "decisions": 2, "articles": 2}]
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert f"and the labels file `{labels}` (2 decisions on 2 articles)" in card and digest in card


def test_undecided_tags_stay_unknown_in_the_training_rows(tmp_path, rows, small_data):
    labels = tmp_path / "labels.jsonl"
    legacy = {k: v for k, v in _label("old", ["umkm"]).items() if k != "rejected"}  # an older line: all decided
    append_event(labels, legacy)
    append_event(labels, {**_label("one", []), "rejected": ["koperasi"]})  # n on a koperasi queue
    append_event(labels, {**_label("two", ["koperasi"]), "rejected": []})
    append_event(labels, {**_label("two", [], annotator="budi"), "rejected": ["umkm"]})  # merged with ana's
    got = {r["id"]: (r["tags"], r["rejected"], r["undecided"]) for r in labelled_rows([labels], LABELS)}
    assert got == {"old": (["umkm"], ["koperasi", "pendidikan"], []),
                   "one": ([], ["koperasi"], ["umkm", "pendidikan"]),
                   "two": (["koperasi"], ["umkm"], ["pendidikan"])}
    data = load_split(_config(small_data, labels).data, "train")
    assert data.undecided[-3:] == [[], ["umkm", "pendidikan"], ["pendidikan"]] and not any(data.undecided[:-3])
    assert data.subset([0, len(data.ids) - 1]).undecided == [[], ["pendidikan"]]
    append_event(labels, {**_label("two", [], annotator="citra"), "rejected": ["koperasi"]})
    with pytest.raises(DuplicateLabelError, match=r"\[E204\].*id 'two' decided twice.*disagree on \['koperasi'\]"):
        labelled_rows([labels], LABELS)


def test_an_undecided_tag_is_left_out_of_its_thresholds_and_cv_scores():
    import numpy as np

    from mlpkg.classify.cross_validation import cross_validate
    from mlpkg.classify.thresholds import tune_thresholds
    from mlpkg.data.labelled import LabelledSplit

    Y = np.array([[1], [1], [0], [0], [0]])
    proba = np.array([[0.9], [0.6], [0.2], [0.1], [0.8]])  # the last row: the tag nobody decided
    known = np.array([[True], [True], [True], [True], [False]])
    assert tune_thresholds(Y, proba, ["umkm"], min_positives=1, known=known) == \
        tune_thresholds(Y[:4], proba[:4], ["umkm"], min_positives=1)

    class Fixed:  # scores rows by their position; the tag is predicted where proba >= 0.5
        thresholds_ = {"umkm": 0.5}

        def predict_proba(self, texts):
            return np.array([[float(t)] for t in texts])

    data = LabelledSplit(["a", "b", "c", "d", "e"], ["0.9", "0.6", "0.2", "0.1", "0.8"], [["umkm"], ["umkm"], [], [],
                         []], list(range(5)), undecided=[[], [], [], [], ["umkm"]])
    cv = cross_validate(lambda part: Fixed(), data, [("f", np.arange(5))], ["umkm"], log=lambda *_: None, n_jobs=1)
    assert cv["pooled"]["per_label"]["umkm"]["fp"] == 0 and cv["pooled"]["per_label"]["umkm"]["precision"] == 1.0


@pytest.mark.parametrize("name", ["tfidf_linear.v1", "tfidf_lexicon.v1"])
def test_each_tfidf_tagger_learns_a_tag_only_from_the_rows_where_it_is_decided(name, tmp_path):
    import numpy as np
    import pandas as pd

    from mlpkg.core.registry import build_model

    df = pd.read_parquet(training_rows_file(tmp_path / "data.parquet"))
    texts, tags = [f"{t}\n{b}" for t, b in zip(df["title"], df["text"])], [list(t) for t in df["tags"]]
    undecided = [["umkm"] if i % 4 == 0 else [] for i in range(len(texts))]
    params = {"name": name, "calibration_folds": 2, "char_ngrams": [],
              **({"lexicon": LEXICON} if name == "tfidf_lexicon.v1" else {})}
    masked = build_model(params, 0).set_params(labels=LABELS).fit(texts, tags, undecided=undecided)
    as_negative = build_model(params, 0).set_params(labels=LABELS).fit(texts, tags)
    j = LABELS.index("umkm")
    np.testing.assert_array_equal(masked.coef_[[0, 2]], as_negative.coef_[[0, 2]])  # the other tags: every row
    assert not np.array_equal(masked.coef_[j], as_negative.coef_[j])


def test_cli_train_fails_with_a_coded_error_on_a_bad_labels_file(tmp_path, capsys, small_data):
    from mlpkg.cli import main

    bad = tmp_path / "labels.jsonl"
    append_event(bad, _label("x", ["otomotif"]))
    assert main(["train", "--config", str(ROOT / "configs" / "topic_tfidf.yaml"), "--set", f"data.path={small_data}",
                 "--set", f"data.extra_labels=[{bad}]", "--output-dir", str(tmp_path / "m")]) == 2
    assert "mlpkg train: error: [E202]" in capsys.readouterr().err


# --- the server's access rules -------------------------------------------------------------------------

def _request(url: str, headers: dict | None = None, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_server_refuses_foreign_origins_and_requires_a_token_beyond_loopback(pool, tmp_path):
    server = Server("--pool", str(pool), "--labels", str(tmp_path / "labels.jsonl"), "--tag", "koperasi")
    try:
        base = server.base
        assert _request(f"{base}/api/current?annotator=ana") == 200
        assert _request(f"{base}/api/current?annotator=ana", {"Origin": "http://127.0.0.1:1"}) == 200
        assert _request(f"{base}/api/skip", {"Origin": "https://evil.example"}, {"id": "x", "annotator": "e"}) == 403
        assert _request(f"{base}/api/current", {"Host": "evil.example"}) == 403  # DNS rebinding
        assert _request(f"{base}/api/skip", {"Content-Type": "text/plain"}, {"id": "x"}) == 415
    finally:
        server.kill()
    assert not (tmp_path / "labels.jsonl").exists()
    server = Server("--pool", str(pool), "--labels", str(tmp_path / "labels.jsonl"), "--host", "0.0.0.0",
                    env={"MLPKG_LABEL_TOKEN": "s3cret-token"})
    try:
        assert server.url.endswith("?token=s3cret-token")
        base = server.base
        assert _request(f"{base}/") == 403 and _request(f"{base}/api/current?annotator=ana") == 403
        assert _request(f"{base}/?token=s3cret-token") == 200
        assert _request(f"{base}/api/current?annotator=ana", {"X-Label-Token": "s3cret-token"}) == 200
        assert _request(f"{base}/api/current?annotator=ana", {"X-Label-Token": "wrong"}) == 403
    finally:
        server.kill()
