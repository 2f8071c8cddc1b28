"""A new user's first hour, scripted: the README's commands and Python block run as written, in a
fresh folder, on a sample of data/ (the full `make train` takes minutes), and the usual mistakes
each get a one-line message that names the fix, with no traceback. The README's generated sections are
checked against docs/readme_numbers.json, and (slow) that file against a fresh run of the shipped configs."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mlpkg.cli import build_parser
from mlpkg.cli import main as cli_main
from mlpkg.summarize import LeadSummarizer

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# the script that writes the README's generated sections (make readme), and the figures it measured
_spec = importlib.util.spec_from_file_location("readme_numbers", ROOT / "docs" / "readme_numbers.py")
readme_numbers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_numbers)
NUMBERS = json.loads(readme_numbers.NUMBERS.read_text(encoding="utf-8"))
# a run of this machine's Python with torch hidden, as on a `make train` venv (core install only)
WITHOUT_TORCH = """
import runpy, sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
sys.argv = sys.argv[1:]
if sys.argv[0] == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__")
else:
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def fenced(after: str, lang: str) -> str:
    """The first fenced ``lang`` block of the README after the line containing ``after``."""
    start = README.index(after)
    match = re.search(rf"```{lang}\n(.*?)```", README[start:], re.S)
    return match.group(1)


def readme_command(prefix: str) -> list[str]:
    """The README's command that starts with ``prefix`` (continued lines joined, comment dropped), as argv."""
    for line in fenced("## Using it", "bash").replace("\\\n", " ").splitlines():
        if line.startswith(prefix):
            return shlex.split(line.split("  #")[0])
    raise AssertionError(f"no README command starts with {prefix!r}")


def run(args: list[str], cwd: Path, prelude: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    command = [sys.executable, "-c", prelude, *args] if prelude else [sys.executable, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli_main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_fails_in_words(code: int, err: str, *expected: str) -> None:
    """Exit status 2, no traceback, one ``mlpkg COMMAND: error: [CODE] ...`` line holding ``expected``."""
    assert code == 2, err
    assert "Traceback" not in err, err
    (line,) = [line for line in err.splitlines() if re.match(r"mlpkg [\w-]+: error: \[E\d{3}\] ", line)]
    for text in expected:
        assert text in line, err


@pytest.fixture(scope="module")
def home(tmp_path_factory, topics) -> Path:
    """A fresh folder holding the README's inputs and the model `make train` writes, trained on a
    sample with 3 folds: every koperasi and umkm article, 150 pendidikan and 300 untagged ones."""
    home = tmp_path_factory.mktemp("first_hour")
    (home / "configs").mkdir()
    rare = topics[topics["tags"].map(lambda t: "koperasi" in t or "umkm" in t)]
    edu = topics[topics["tags"].map(lambda t: list(t) == ["pendidikan"])].head(150)
    other = topics[topics["tags"].map(len) == 0].head(300)
    sample = pd.concat([rare, edu, other]).sample(frac=1.0, random_state=0).reset_index(drop=True)
    sample.to_parquet(home / "labelled.parquet")
    config = (ROOT / "configs" / "topic_tfidf.yaml").read_text(encoding="utf-8")
    (home / "configs" / "topic_tfidf.yaml").write_text(
        config.replace("path: data/topics.parquet", "path: labelled.parquet").replace("cv_folds: 5", "cv_folds: 3"),
        encoding="utf-8")
    return home


@pytest.fixture(scope="module")
def trained(home) -> subprocess.CompletedProcess:
    """What `make train` runs ($(PY) train.py --config $(CONFIG)), on the sample config."""
    assert "$(PY) train.py --config $(CONFIG)" in (ROOT / "Makefile").read_text(encoding="utf-8")
    done = run([str(ROOT / "train.py"), "--config", "configs/topic_tfidf.yaml"], home)
    assert done.returncode == 0, done.stderr
    return done


def test_make_train_prints_plain_tables_and_where_the_model_card_and_report_are(home, trained):
    out = trained.stdout
    assert "model card: models/topic_tfidf/README.md" in out
    assert "report: models/topic_tfidf/report.html" in out and (home / "models/topic_tfidf/report.html").exists()
    assert "**" not in out and "|" not in out  # plain text in a terminal; the card keeps markdown
    assert "| koperasi |" in (home / "models/topic_tfidf/README.md").read_text(encoding="utf-8")


def test_report_and_card_show_what_a_shipping_decision_needs(home, trained):
    report = (home / "models/topic_tfidf/report.html").read_text(encoding="utf-8")
    for part in ("<h2>Run</h2>", "data sha256", "git commit", "scikit-learn", "<h2>Decision thresholds</h2>",
                 "95% CI", "percentile bootstrap over articles", "<h3>By publisher</h3>", "lampost",
                 "koperasi: worst misses", "koperasi: worst false alarms", "<b>Misses</b>", "<td class=title>",
                 "<td class=id>"):
        assert part in report, part
    card = (home / "models/topic_tfidf/README.md").read_text(encoding="utf-8")
    for part in ("## Decision thresholds", "95% bootstrap intervals", "By publisher", "## Run", "data sha256"):
        assert part in card, part
    run_meta = json.loads((home / "models/topic_tfidf/run.json").read_text(encoding="utf-8"))
    assert len(run_meta["data_sha256"]) == 64 and run_meta["packages"]["mlpkg"]


def test_readme_python_block_runs_as_written_and_scores_like_mlpkg_tag(home, trained, monkeypatch, capsys):
    code = fenced("From Python", "python")
    assert "..." not in code
    monkeypatch.chdir(home)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own block
    lines = printed.getvalue().splitlines()
    tags, scores, summary = (ast.literal_eval(line) for line in lines)
    assert isinstance(tags, list) and len(summary) == 2 and "Baca juga" not in " ".join(summary)

    article = ast.literal_eval(re.search(r"article = (\{.*?\n\})", code, re.S).group(1))
    with open(home / "news.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "kalteng", **article}) + "\n")
    argv = readme_command("mlpkg tag")
    summarizer = argv.index("--summarizer")
    del argv[summarizer: summarizer + 2]  # the snippet's summariser needs no training; the CLI's does
    assert cli_main(argv[1:] + ["--workers", "1", "--progress", "none"]) == 0
    capsys.readouterr()
    row = json.loads((home / "tagged.jsonl").read_text(encoding="utf-8"))
    assert row["scores"] == scores and row["tags"] == tags[0]
    # the README shows the output of the shipped model: same shape, same tags
    shown = fenced("Its output", "").splitlines()
    assert ast.literal_eval(shown[0]) == [["koperasi"]] and set(ast.literal_eval(shown[1])) == set(scores)


def test_readme_grid_search_and_pipeline_run_as_written(topic_sample, tmp_path, monkeypatch):
    """The README's scikit-learn block, as written, in a folder whose data/topics.parquet is 200 articles."""
    code = fenced("### With scikit-learn", "python")
    (tmp_path / "data").mkdir()
    topic_sample.head(200).to_parquet(tmp_path / "data" / "topics.parquet")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own block
    (grid, score), (pipe_grid, pipe_score) = (line.rsplit(" ", 1) for line in printed.getvalue().splitlines())
    assert ast.literal_eval(grid)["C"] in (0.25, 1.0) and ast.literal_eval(pipe_grid)["lead__kw_args"]["chars"]
    assert 0.5 < float(score) <= 1 and 0.5 < float(pipe_score) <= 1  # macro F1 of folds the model never saw


def test_evaluate_as_in_the_readme_prints_where_its_report_went(home, trained, monkeypatch, capsys):
    monkeypatch.chdir(home)
    code, out, _ = cli(readme_command("mlpkg evaluate --model models/topic_tfidf")[1:], capsys)
    assert code == 0 and "report: reports/topic/report.html" in out and (home / "reports/topic/report.html").exists()
    assert "|" not in out


def test_evaluate_split_typo_fails_listing_the_values_present(home, trained, monkeypatch, capsys):
    monkeypatch.chdir(home)
    code, out, err = cli(["evaluate", "--model", "models/topic_tfidf", "--data", "labelled.parquet", "--split", "tset"],
                         capsys)
    assert_fails_in_words(code, err, "[E002]", "no row has 'split' = 'tset'",
                          "values present: ['dev', 'test', 'train']")
    assert out == "" and not (home / "reports/evaluate/topic_tfidf/labelled_tset").exists()


def test_evaluate_picks_the_split_column(home, trained, monkeypatch, capsys):
    monkeypatch.chdir(home)
    code, out, _ = cli(["evaluate", "--model", "models/topic_tfidf", "--data", "labelled.parquet",
                        "--split-field", "split_publisher", "--split", "test", "--output", "reports/publisher"], capsys)
    held_out = pd.read_parquet(home / "labelled.parquet").query("split_publisher == 'test'")
    assert code == 0 and f"{len(held_out)} rows" in out and "report: reports/publisher/report.html" in out


@pytest.mark.parametrize("argv", [["train.py", "--config", "configs/topic_indobert.yaml"],
                                  ["-m", "mlpkg", "export-onnx", "--model", "models/topic_tfidf"]],
                         ids=["train_indobert", "export_onnx"])
def test_without_torch_bert_commands_name_the_extra_to_install(argv):
    done = run(argv, ROOT, prelude=WITHOUT_TORCH)
    assert_fails_in_words(done.returncode, done.stderr, "[E007]", "needs torch", "pip install -e '.[bert]'")


def test_data_labels_typo_is_blamed_on_the_config(home, tmp_path, capsys):
    config = (home / "configs/topic_tfidf.yaml").read_text(encoding="utf-8")
    typo = tmp_path / "typo.yaml"
    typo.write_text(config.replace("labels: [koperasi, umkm, pendidikan]", "labels: [koperasi, umkm, pendidkan]")
                    .replace("path: labelled.parquet", f"path: {home / 'labelled.parquet'}"), encoding="utf-8")
    code, _, err = cli(["train", "--config", str(typo)], capsys)
    assert_fails_in_words(code, err, "[E001]", "data.labels: 'pendidkan' is the label of no row",
                          "did you mean 'pendidikan'?")


def test_bad_rows_are_numbered_from_one(home, trained, monkeypatch, capsys):
    monkeypatch.chdir(home)
    rows = pd.read_parquet(home / "labelled.parquet").head(5)
    rows.loc[0, "text"] = " "
    rows.to_parquet(home / "blank_first.parquet")
    code, _, err = cli(["evaluate", "--model", "models/topic_tfidf", "--data", "blank_first.parquet"], capsys)
    assert_fails_in_words(code, err, "row 1, field 'text': empty text")


def test_a_bad_override_is_blamed_on_the_override_not_the_file(home, capsys):
    code, _, err = cli(["train", "--config", str(home / "configs/topic_tfidf.yaml"), "--set", "model.C=-1"], capsys)
    assert_fails_in_words(code, err, "[E001] --set model.C=-1: model.C: must be >=")
    code, _, err = cli(["cv", "--config", str(home / "configs/topic_tfidf.yaml"), "--set", "data.txt_field=isi"],
                       capsys)
    assert_fails_in_words(code, err, "[E001] --set data.txt_field=isi: unknown key 'data.txt_field'")


def test_help_shows_defaults_and_every_flag_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        if name == "tag":  # the batch job's flags are documented with the batch rewrite
            continue
        for action in sub._actions:
            assert action.help, f"mlpkg {name} {'/'.join(action.option_strings)} has no help text"
    with pytest.raises(SystemExit):
        cli_main(["cv", "--help"])
    assert "(default: all)" in capsys.readouterr().out


def test_error_codes_are_listed_by_mlpkg_errors_and_in_the_readme(capsys):
    from mlpkg.errors import error_codes

    codes = [f"E00{i}" for i in range(1, 10)] + ["E010"] + [f"E10{i}" for i in range(1, 6)]  # E1xx: batch jobs
    codes += [f"E20{i}" for i in range(1, 6)]  # E2xx: labels files (mlpkg label)
    assert [code for code, _, _ in error_codes()] == codes
    assert len({name for _, name, _ in error_codes()}) == len(codes)  # one class per code
    assert all(meaning for _, _, meaning in error_codes())
    code, out, _ = cli(["errors", "--markdown"], capsys)
    assert code == 0 and out.strip() in README
    code, out, _ = cli(["errors"], capsys)
    assert [line.split()[0] for line in out.splitlines()[2:]] == codes


@pytest.mark.skipif(not readme_numbers.CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(home, trained, tmp_path):
    shot = tmp_path / "report.png"
    done = readme_numbers.screenshot(home / "models/topic_tfidf/report.html", shot, tmp_path / "profile")
    assert done.returncode == 0 and shot.exists(), done.stderr
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1100, 1500)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50  # text and tables, not a blank page


# --- issue 26, item 6: the README shows what a fresh clone prints -------------------------------------------
def numbers_masked(text: str) -> list[str]:
    """``text``'s lines with every number as ``#`` and runs of spaces as one: its titles, columns and rows."""
    return [re.sub(r" +", " ", re.sub(r"[+-]?\d[\d,.]*", "#", line)).strip() for line in text.splitlines()
            if not set(line) <= {"-", " "}]


@pytest.mark.parametrize("name", list(readme_numbers.render(NUMBERS)))
def test_readme_generated_section_is_the_rendering_of_the_measured_numbers(name):
    """A number edited by hand in the README (or a figure changed in docs/readme_numbers.json without
    `python docs/readme_numbers.py --render`) fails here."""
    match = readme_numbers.section(README, name)
    assert README[match.end(1): match.start(2)] == readme_numbers.render(NUMBERS)[name] + "\n"


def test_make_train_prints_the_tables_the_readme_shows(trained):
    """The same titles, columns and rows (the numbers of a sample differ; the slow test below compares them)."""
    printed = "\n".join(readme_numbers.printed_tables(trained.stdout))
    assert numbers_masked(printed) == numbers_masked("\n".join(NUMBERS["make_train"]))


def test_readme_output_row_fields_are_what_mlpkg_tag_writes(home, trained, tmp_path, capsys):
    LeadSummarizer(k=2).fit().save(tmp_path / "lead")
    assert readme_numbers.row_fields(home / "models/topic_tfidf", tmp_path / "lead", README) == NUMBERS["row_fields"]
    assert {"summarizer", "summarizer_hash"} <= set(NUMBERS["row_fields"]["tag --summarizer"])


def test_tag_given_a_summariser_as_model_is_e009_saying_where_it_goes(home, tmp_path, capsys):
    LeadSummarizer(k=2).fit().save(tmp_path / "lead")
    code, _, err = cli(["tag", "--model", str(tmp_path / "lead"), "--input", str(home / "labelled.parquet"),
                        "--output", str(tmp_path / "tagged.jsonl")], capsys)
    assert_fails_in_words(code, err, "[E009]", "holds a summarizer (lead.v1), not a classifier",
                          f"--summarizer {tmp_path / 'lead'}")


@pytest.mark.slow
def test_a_fresh_run_of_the_shipped_configs_measures_the_readme_numbers(tmp_path):
    """`make train` on the shipped config and data (minutes) prints what the README shows, number for
    number; the summariser, the Python block and mlpkg tag's fields too (after a change to the data or a
    default: `make readme`)."""
    measured = readme_numbers.measure(tmp_path, README)
    assert set(measured) == set(NUMBERS)
    for key, value in NUMBERS.items():
        assert measured[key] == value, key
