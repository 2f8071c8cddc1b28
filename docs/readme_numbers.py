"""The README's numbers and screenshot, from one run of the shipped configs.

    python docs/readme_numbers.py            # measure (minutes), then write the README's generated sections
    python docs/readme_numbers.py --render   # only rewrite the sections from docs/readme_numbers.json (seconds)

``make readme`` runs the first. Measuring trains what a fresh clone trains (``make train``'s
``configs/topic_tfidf.yaml`` and ``configs/summary_trained.yaml``, into ``models/``), runs the README's
Python block and ``mlpkg tag`` on its article, keeps the figures in ``docs/readme_numbers.json`` and
screenshots the tagger's ``report.html`` into ``docs/report.png`` (headless Chromium). Each README
section between ``<!-- NAME: generated ... -->`` and ``<!-- end of NAME -->`` is then rendered from that
file (the error table from ``mlpkg/errors.py``), so a rerun changes nothing that was not measured anew.
``tests/test_first_hour.py`` fails when a section differs from its rendering, and (slow) when a fresh
measurement differs from the JSON file.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NUMBERS = ROOT / "docs" / "readme_numbers.json"
SCREENSHOT = ROOT / "docs" / "report.png"
CHROMIUM = Path("/usr/bin/chromium")
TAGGER_CONFIG = "configs/topic_tfidf.yaml"  # the Makefile's CONFIG: what `make train` trains
SUMMARIZER_CONFIG = "configs/summary_trained.yaml"  # the README's `mlpkg tag --summarizer` model


def train(config: str, output_dir: Path) -> str:
    """Standard output of ``train.py --config CONFIG`` (what ``make train`` runs) into ``output_dir``."""
    done = subprocess.run([sys.executable, str(ROOT / "train.py"), "--config", config, "--output-dir", str(output_dir)],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"train.py --config {config} failed:\n{done.stderr}")
    return done.stdout


def printed_tables(stdout: str) -> list[str]:
    """What ``make train`` prints after its training log: the thresholds of the shipped model and the
    cross-validation tables, up to the line that says where the model went (its time varies)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("refitted "))
    end = next(i for i, line in enumerate(lines) if line.startswith("model written to "))
    return "\n".join(lines[start:end]).strip().splitlines()


def summarizer_rouge(model_dir: Path) -> list[dict]:
    """ROUGE of the trained summariser from its ``metrics.json``: the test fold per system and input,
    then the fold rotation (the speed columns that ``train.py`` prints beside them are left out)."""
    from mlpkg.summarize.evaluation import INPUT_NAMES

    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    name = json.loads((model_dir / "mlpkg.json").read_text(encoding="utf-8"))["name"]
    rows = [(system, "test fold", source, scores)
            for system, by_input in metrics["test"].items() for source, scores in by_input.items()]
    rows += [(name, "fold rotation", source, scores) for source, scores in metrics["fold_rotation"].items()]
    return [{"system": system, "scored on": on, "input": INPUT_NAMES[source], "articles": scores["articles"],
             "R-1": scores["rouge1"], "R-2": scores["rouge2"], "R-L": scores["rougeL"]}
            for system, on, source, scores in rows]


def readme_block(after: str, lang: str, readme: str) -> str:
    """The first fenced ``lang`` block of ``readme`` after the line containing ``after``."""
    start = readme.index(after)
    return re.search(rf"```{lang}\n(.*?)```", readme[start:], re.S).group(1)


def python_block_output(home: Path, readme: str) -> str:
    """What the README's Python block prints, run in ``home`` (where ``models/topic_tfidf`` is)."""
    code = readme_block("From Python", "python", readme)
    printed, cwd = io.StringIO(), os.getcwd()
    os.chdir(home)
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own block
    finally:
        os.chdir(cwd)
    return printed.getvalue().rstrip("\n")


def row_fields(model: Path, summarizer: Path, readme: str) -> dict[str, list[str]]:
    """The fields of an ``mlpkg tag`` output row for the README's article, without and with ``--summarizer``."""
    from mlpkg.cli import main as cli_main

    block = readme_block("From Python", "python", readme)
    article = ast.literal_eval(re.search(r"article = (\{.*?\n\})", block, re.S).group(1))
    fields = {}
    with tempfile.TemporaryDirectory() as tmp:
        news = Path(tmp, "news.jsonl")
        news.write_text(json.dumps({"id": "kalteng", **article}) + "\n", encoding="utf-8")
        for name, extra in (("tag", []), ("tag --summarizer", ["--summarizer", str(summarizer)])):
            out = Path(tmp, f"{len(fields)}.jsonl")
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                code = cli_main(["tag", "--model", str(model), *extra, "--input", str(news), "--output", str(out),
                                 "--workers", "1", "--progress", "none"])
            if code:
                raise SystemExit(f"mlpkg tag {' '.join(extra)} failed with status {code}")
            fields[name] = list(json.loads(out.read_text(encoding="utf-8")))
    return fields


def measure(home: Path, readme: str) -> dict:
    """Every figure the README quotes from a run: models trained into ``home/models`` as a fresh clone would."""
    tagger, summarizer = home / "models" / "topic_tfidf", home / "models" / "summary_trained"
    numbers = {"make_train": printed_tables(train(TAGGER_CONFIG, tagger))}
    train(SUMMARIZER_CONFIG, summarizer)
    numbers["summarizer_rouge"] = summarizer_rouge(summarizer)
    numbers["python_block"] = python_block_output(home, readme)
    numbers["row_fields"] = row_fields(tagger, summarizer, readme)
    return numbers


def screenshot(html: Path, png: Path, profile: Path) -> subprocess.CompletedProcess:
    """``html`` as headless Chromium shows it in a 1100x1500 window (``profile``: a scratch folder)."""
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--window-size=1100,1500", "--hide-scrollbars", f"--screenshot={png}", html.as_uri()],
        capture_output=True, text=True, timeout=120)


def render(numbers: dict) -> dict[str, str]:
    """The text of each generated README section, by marker name."""
    from mlpkg.cli import main as cli_main

    fields = numbers["row_fields"]
    always = fields["tag"]
    shown = ", ".join(f'"{f}"' + ("" if f in always else "?") for f in fields["tag --summarizer"])
    rouge = ["| summariser | scored on | input | articles | R-1 | R-2 | R-L |", "|---|---|---|---:|---:|---:|---:|"]
    rouge += [f"| {r['system']} | {r['scored on']} | {r['input']} | {r['articles']:,} | {r['R-1']:.2f} | "
              f"{r['R-2']:.2f} | {r['R-L']:.2f} |" for r in numbers["summarizer_rouge"]]
    errors = io.StringIO()
    with contextlib.redirect_stdout(errors):
        cli_main(["errors", "--markdown"])
    return {
        "make train output": "```text\n" + "\n".join(numbers["make_train"]) + "\n```",
        "python block output": f"```\n{numbers['python_block']}\n```",
        "output row fields": f"Output rows: `{{{shown}}}` (`?`: only with `--summarizer`).",
        "summariser rouge": "\n".join(rouge),
        "error codes": errors.getvalue().strip(),
    }


def section(readme: str, name: str) -> re.Match:
    """The match of section ``name``: group 1 ends with its opening marker, group 2 is its closing one."""
    pattern = rf"(<!-- {re.escape(name)}: generated [^\n]*-->\n).*?(<!-- end of {re.escape(name)} -->)"
    match = re.search(pattern, readme, re.S)
    if not match:
        raise SystemExit(f"README.md has no section <!-- {name}: generated ... --> ... <!-- end of {name} -->")
    return match


def rewrite(readme: str, sections: dict[str, str]) -> str:
    """``readme`` with each section's text between its markers (the marker lines themselves are kept)."""
    for name, text in sections.items():
        match = section(readme, name)
        readme = readme[:match.end(1)] + text + "\n" + readme[match.start(2):]
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the README's sections from docs/readme_numbers.json (no training)")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    if not args.render:
        numbers = measure(ROOT, readme)
        NUMBERS.write_text(json.dumps(numbers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        with tempfile.TemporaryDirectory() as profile:
            shot = screenshot(ROOT / "models" / "topic_tfidf" / "report.html", SCREENSHOT, Path(profile))
        if shot.returncode:
            raise SystemExit(f"chromium failed:\n{shot.stderr}")
    numbers = json.loads(NUMBERS.read_text(encoding="utf-8"))
    README.write_text(rewrite(readme, render(numbers)), encoding="utf-8")
    print(f"README.md sections rewritten from {NUMBERS.relative_to(ROOT)}"
          + ("" if args.render else f"; screenshot {SCREENSHOT.relative_to(ROOT)}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
