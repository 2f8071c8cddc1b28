"""Issue 24: MLflow tracking of train, cv and evaluate. Two `mlpkg cv` runs (model.C 0.25 and 4.0) on the
~700-row sample go to a real `mlflow server` on 127.0.0.1 (SQLite backend, artifacts in a temp folder) and
are read back through MlflowClient; `mlpkg runs` orders them; the failure paths are coded errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlpkg.cli import main as cli_main
from mlpkg.config import TrackingConfig, load_config
from mlpkg.errors import ConfigError
from mlpkg.tracking import DEFAULT_URI, tracking_uri

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "topic_tfidf.yaml"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "mlflow_compare.png"
# `MLPKG_WRITE_SCREENSHOTS=1 pytest tests/test_tracking.py` rewrites docs/mlflow_compare.png (the README's)
WRITE_SCREENSHOTS = os.environ.get("MLPKG_WRITE_SCREENSHOTS") == "1"
# the sample, three grouped folds, a small vocabulary: a run takes seconds, not minutes
FAST = ["--set", "evaluation.cv_folds=3", "--set", "model.max_features_word=5000"]
C_VALUES = ("0.25", "4.0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_config(topic_sample, folder: Path) -> Path:
    """The default config on the sample (absolute paths, so a run may start in any folder)."""
    data = folder / "sample.parquet"
    topic_sample.to_parquet(data)
    text = CONFIG.read_text(encoding="utf-8").replace("path: data/topics.parquet", f"path: {data}")
    for shipped in ("data/word_vectors.npz", "data/labels/agreement.jsonl"):
        text = text.replace(f": {shipped}", f": {ROOT / shipped}")
    cfg = folder / "cfg.yaml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``mlflow server`` on a free port of 127.0.0.1, SQLite backend and artifacts in a temp folder."""
    pytest.importorskip("mlflow")
    folder = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
                             "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
                             "--artifacts-destination", str(folder / "artifacts"), "--workers", "1"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(uri + "/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"mlflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(1)
    yield uri
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def two_runs(server, topic_sample, tmp_path_factory) -> dict:
    """Two `mlpkg cv --track URI` runs that differ in model.C: ``{C: run}`` read back from the server."""
    from mlflow.tracking import MlflowClient

    folder = tmp_path_factory.mktemp("cv_runs")
    cfg = sample_config(topic_sample, folder)
    for c in C_VALUES:
        code = cli_main(["cv", "--config", str(cfg), "--protocol", "group", *FAST, "--set", f"model.C={c}",
                         "--output", str(folder / f"cv_{c}"), "--track", server])
        assert code == 0
    client = MlflowClient(server)
    experiment = client.get_experiment_by_name("mlpkg")
    runs = client.search_runs([experiment.experiment_id])
    return {r.data.params["model.C"]: r for r in runs}


def test_cv_run_records_config_metrics_per_fold_provenance_and_files(server, two_runs, topic_sample):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server)
    assert set(two_runs) == set(C_VALUES)
    run = two_runs["0.25"]
    assert run.info.status == "FINISHED" and run.info.run_name == "cv cfg"
    params = run.data.params
    assert params["model.name"] == "tfidf_lexicon_vectors_agencies.v1" and params["evaluation.cv_folds"] == "3"
    assert params["model.word_ngrams"] == "[1, 2]" and params["protocols"] == '["group"]'
    assert params["model.lexicon.koperasi"].startswith('["koperasi"')
    metrics = run.data.metrics
    macro = metrics["group.model.summary.macro.f1.mean"]
    assert metrics["macro_f1"] == metrics["macro_f1.group"] == macro and 0.5 < macro <= 1
    for system in ("model", "keyword_rule", "model_sure", "keyword_rule_sure"):  # every table mlpkg cv prints
        assert 0 <= metrics[f"group.{system}.pooled.per_label.koperasi.f1"] <= 1
    assert "group.model.summary.umkm.f1.std" in metrics and "group.reader_bar.reader_agreement.macro_f1" in metrics
    assert 0 <= metrics["group.reader_bar.keyword_free.umkm.recall"] <= 1  # keyword-free recall
    folds = client.get_metric_history(run.info.run_id, "group.model.folds.metrics.macro.f1")
    assert sorted(m.step for m in folds) == [0, 1, 2]  # one step per fold
    cuts = client.get_metric_history(run.info.run_id, "group.model.folds.thresholds.koperasi")
    assert len(cuts) == 3 and all(0 < m.value < 1 for m in cuts)
    tags = run.data.tags
    assert re.fullmatch(r"[0-9a-f]{64}", tags["mlpkg.data_sha256"])
    assert tags["mlpkg.rows.group"] == str(len(topic_sample))
    assert tags["mlpkg.version.scikit-learn"] and tags["mlpkg.git_commit"] and tags["mlpkg.command"] == "cv"
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"cv.md", "cv.json", "report.html", "pr_curves_group.png", "reliability_group.png"} <= files


def test_runs_command_shows_the_differing_param_and_orders_by_macro_f1(server, two_runs, capsys):
    scores = {c: r.data.metrics["macro_f1"] for c, r in two_runs.items()}
    assert scores["0.25"] != scores["4.0"]
    assert cli_main(["runs", "--track", server, "--sort", "macro_f1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, rows = lines[0].split(), [line.split() for line in lines[2:]]
    assert header[:4] == ["run", "name", "status", "model.C"] and "macro_f1" in header
    assert "seed" not in header and "model.name" not in header  # the same in both runs
    column = header.index("model.C") + 1  # the name "cv cfg" is two words
    assert [row[column] for row in rows] == sorted(C_VALUES, key=lambda c: -scores[c])
    assert [row[0] for row in rows] == [two_runs[c].info.run_id[:8] for c in sorted(C_VALUES, key=lambda c: -scores[c])]
    assert cli_main(["runs", "--track", server]) == 0  # newest first: the second run
    newest = capsys.readouterr().out.splitlines()[2]
    assert newest.startswith(two_runs["4.0"].info.run_id[:8])


def test_a_run_that_crashes_is_marked_failed(server, topic_sample, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    import mlpkg.classify.training as training

    def crash(*args, **kwargs):
        raise RuntimeError("out of memory in fold 2")

    monkeypatch.setattr(training, "run_cv", crash)
    cfg = sample_config(topic_sample, tmp_path)
    with pytest.raises(RuntimeError, match="fold 2"):
        cli_main(["cv", "--config", str(cfg), "--track", server, "--set", "tracking.experiment=crashes"])
    client = MlflowClient(server)
    (run,) = client.search_runs([client.get_experiment_by_name("crashes").experiment_id])
    assert run.info.status == "FAILED" and "fold 2" in run.data.tags["mlpkg.error"]


def test_train_run_logs_the_model_folder_and_its_run_json_names_the_run(topic_sample, tmp_path, monkeypatch, capsys):
    """`mlpkg train --track` without a server: the SQLite default store, in the working directory."""
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from mlpkg.core.directory import load_model

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_DISABLE_TELEMETRY", raising=False)
    cfg = sample_config(topic_sample, tmp_path)
    assert cli_main(["train", "--config", str(cfg), *FAST, "--output-dir", "m", "--track"]) == 0
    assert (tmp_path / "mlruns.db").is_file()
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"  # no usage reports from a tracked run
    client = MlflowClient(DEFAULT_URI)
    (run,) = client.search_runs([client.get_experiment_by_name("mlpkg").experiment_id])
    run_json = (tmp_path / "m" / "run.json").read_text(encoding="utf-8")
    assert f'"run_id": "{run.info.run_id}"' in run_json and DEFAULT_URI in run_json
    assert run.info.run_id in (tmp_path / "m" / "README.md").read_text(encoding="utf-8")  # the card says so too
    load_model(tmp_path / "m")  # run.json is in the manifest: the folder is still whole
    assert run.data.tags["mlpkg.model_dir"] == str((tmp_path / "m").resolve())
    assert run.data.tags["mlpkg.rows.cv"] == str(len(topic_sample)) and run.data.params["output_dir"] == "m"
    assert 0 < run.data.metrics["threshold.koperasi"] < 1
    assert run.data.metrics["macro_f1"] == run.data.metrics["cv.summary.macro.f1.mean"]
    files = {a.path for a in client.list_artifacts(run.info.run_id, "model")}
    assert {"model/README.md", "model/metrics.json", "model/report.html", "model/run.json", "model/mlpkg.json",
            "model/weights.npz", "model/manifest.json", "model/pr_curves_cv.png"} <= files

    # mlpkg evaluate --track: its own run, in the experiment of the model's config
    data = str(tmp_path / "sample.parquet")
    assert cli_main(["evaluate", "--model", "m", "--data", data, "--output", "ev", "--track"]) == 0
    (scored, _) = client.search_runs([run.info.experiment_id], order_by=["attributes.start_time DESC"])
    assert scored.data.tags["mlpkg.command"] == "evaluate" and scored.data.params["model"] == "m"
    assert scored.data.tags["mlpkg.rows.evaluated"] == str(len(topic_sample))
    assert scored.data.metrics["macro_f1"] == scored.data.metrics["macro.f1"]
    assert {"metrics.json", "report.html"} <= {a.path for a in client.list_artifacts(scored.info.run_id)}


def test_unreachable_server_fails_before_training_naming_the_uri(topic_sample, tmp_path, capsys):
    pytest.importorskip("mlflow")
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    cfg = sample_config(topic_sample, tmp_path)
    code = cli_main(["train", "--config", str(cfg), "--output-dir", str(tmp_path / "m"), "--track", uri])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert re.match(rf"mlpkg train: error: \[E010\] the MLflow tracking server {re.escape(uri)} cannot be reached", err)
    assert not (tmp_path / "m").exists()  # nothing was trained


def test_track_without_mlflow_is_e007_naming_the_extra(topic_sample, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if `pip install -e '.[track]'` was never run
    cfg = sample_config(topic_sample, tmp_path)
    code = cli_main(["cv", "--config", str(cfg), "--output", str(tmp_path / "cv"), "--track"])
    err = capsys.readouterr().err
    assert code == 2 and "[E007] MLflow tracking (--track, tracking.enabled) needs mlflow" in err
    assert "pip install -e '.[track]'" in err and not (tmp_path / "cv").exists()


def test_tracking_off_imports_no_mlflow_in_import_or_train(topic_sample, tmp_path):
    """`make train` pays nothing for tracking: neither importing the CLI nor a run without --track loads mlflow."""
    cfg = sample_config(topic_sample, tmp_path)
    script = (
        "import sys\nimport mlpkg.cli\nassert 'mlflow' not in sys.modules, 'import mlpkg.cli loaded mlflow'\n"
        f"code = mlpkg.cli.main(['train', '--config', {str(cfg)!r}, '--output-dir', {str(tmp_path / 'm')!r}, "
        "'--set', 'evaluation.cv_folds=2', '--set', 'model.max_features_word=5000', "
        "'--set', 'evaluation.report=false'])\n"
        "assert code == 0\nassert 'mlflow' not in sys.modules, 'a train run without tracking loaded mlflow'\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}  # set, yet off
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "mlflow" not in (tmp_path / "m" / "run.json").read_text(encoding="utf-8")


def test_tracking_block_is_validated_naming_the_key_and_allowed_values():
    with pytest.raises(ConfigError, match=r"--set tracking.uri=htp://x: tracking.uri must be a URI whose scheme "
                                          r"is one of 'http', 'https', 'sqlite'.*got 'htp://x'"):
        load_config(CONFIG, ["tracking.uri=htp://x"])
    with pytest.raises(ConfigError, match=r"tracking.enabled must be of type bool, got 'sometimes'"):
        load_config(CONFIG, ["tracking.enabled=sometimes"])
    with pytest.raises(ConfigError, match=r"unknown key 'tracking.url'; allowed keys: 'enabled', 'uri', 'experiment'"):
        load_config(CONFIG, ["tracking.url=http://x"])
    with pytest.raises(ConfigError, match=r"tracking.experiment must be a non-empty name"):
        load_config(CONFIG, ["tracking.experiment=' '"])
    cfg = load_config(CONFIG, ["tracking.enabled=true", "tracking.uri=postgresql+psycopg2://db/mlflow"])
    assert cfg.tracking == TrackingConfig(enabled=True, uri="postgresql+psycopg2://db/mlflow")


def test_the_store_is_track_uri_then_mlflow_tracking_uri_then_config_then_sqlite(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(None, TrackingConfig(uri="http://cfg:5000")) is None  # off unless switched on
    assert tracking_uri("", TrackingConfig()) == DEFAULT_URI == "sqlite:///mlruns.db"
    assert tracking_uri("", TrackingConfig(uri="http://cfg:5000")) == "http://cfg:5000"
    assert tracking_uri(None, TrackingConfig(enabled=True, uri="http://cfg:5000")) == "http://cfg:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:5000")
    assert tracking_uri(None, TrackingConfig()) is None
    assert tracking_uri("", TrackingConfig(uri="http://cfg:5000")) == "http://env:5000"
    assert tracking_uri("http://flag:5000", TrackingConfig(uri="http://cfg:5000")) == "http://flag:5000"
    with pytest.raises(ConfigError, match=r"\[E001\] MLFLOW_TRACKING_URI must be a URI whose scheme is one of "
                                          r"'http', .*got 'http:/env'"):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", "http:/env")
        tracking_uri("", TrackingConfig())
    with pytest.raises(ConfigError, match=r"--track URI must be a URI whose scheme .*got '127.0.0.1:5000'"):
        tracking_uri("127.0.0.1:5000", TrackingConfig())


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)")
def test_mlflow_ui_compares_the_two_runs_in_headless_chromium(server, two_runs, tmp_path):
    """The MLflow UI's compare page of the two cv runs, rendered by headless Chromium: its DOM names both
    runs and the param they differ in; the screenshot is the README's (``MLPKG_WRITE_SCREENSHOTS=1``)."""
    ids = [two_runs[c].info.run_id for c in C_VALUES]
    experiment = two_runs[C_VALUES[0]].info.experiment_id
    url = (f"{server}/#/compare-runs?runs=[{','.join(f'%22{i}%22' for i in ids)}]"
           f"&experiments=[%22{experiment}%22]")
    shot = SCREENSHOT if WRITE_SCREENSHOTS else tmp_path / "compare.png"
    browser = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}",
               "--window-size=1400,1900", "--hide-scrollbars", "--virtual-time-budget=30000"]
    dom = subprocess.run([*browser, "--dump-dom", url], capture_output=True, text=True, timeout=180).stdout
    assert "Comparing 2 Runs" in dom and all(i in dom for i in ids) and "model.C" in dom
    done = subprocess.run([*browser, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1400, 1900)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50  # text, tables and a plot, not a blank page
