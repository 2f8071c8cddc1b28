"""``mlpkg`` command line: one thin function per command over the library functions."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import DataError, MlpkgError, MlpkgWarning


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .config import load_config
    from .tasks import summary_lines, train
    from .tracking import tracked_run

    overrides = list(args.set or [])
    if args.output_dir:
        overrides.append(f"output_dir={args.output_dir}")
    cfg = load_config(args.config, overrides)
    with tracked_run(args.track, cfg.tracking, "train", Path(args.config).stem, cfg.to_dict(), cfg.data.path) as record:
        result = train(cfg, overwrite=args.overwrite)
        record(result)
    print("\n".join(summary_lines(result)))
    return 0


def cmd_cv(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .config import load_config
    from .tasks import cv, cv_protocols
    from .tracking import tracked_run

    cfg = load_config(args.config, list(args.set or []))
    out = args.output or str(Path("reports") / "cv" / Path(args.config).stem)
    params = {**cfg.to_dict(), "protocols": cv_protocols(cfg, args.protocol)}
    with tracked_run(args.track, cfg.tracking, "cv", Path(args.config).stem, params, cfg.data.path) as record:
        result = cv(cfg, args.protocol, out)
        record(result)
    print(result["text"])
    print(f"cross-validation results written to {out}/cv.md and {out}/cv.json; report: {out}/report.html")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .evaluate.saved_model import evaluate_model_dir, saved_tracking
    from .tracking import tracked_run

    name = Path(args.data).stem + (f"_{args.split}" if args.split else "")
    out = args.output or str(Path("reports") / "evaluate" / Path(args.model).name / name)
    params = {"model": args.model, "data": args.data, "split": args.split}
    with tracked_run(args.track, saved_tracking(args.model), "evaluate", f"{Path(args.model).name} {name}", params,
                     args.data) as record:
        result = evaluate_model_dir(
            args.model,
            args.data,
            split=args.split,
            output=out,
            text_field=args.text_field,
            label_field=args.label_field,
            split_field=args.split_field,
        )
        record({**result, "output_dir": out})
    print(result["table"])
    print(f"metrics written to {out}/metrics.json" + (f"; report: {out}/report.html" if "report" in result else ""))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from .tracking import runs_table

    print(runs_table(args.track, args.experiment, args.sort))
    return 0


def cmd_errors(args: argparse.Namespace) -> int:
    from .errors import error_codes
    from .evaluate.tables import render_table

    rows = [[f"`{code}`" if args.markdown else code, name, meaning] for code, name, meaning in error_codes()]
    print(render_table(["code", "error", "meaning"], rows, "lll", markdown=args.markdown))
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from .batch import tag_job

    options = {k: v for k, v in vars(args).items() if k not in ("command", "func")}
    return tag_job(**options)


def cmd_summarize(args: argparse.Namespace) -> int:
    from .batch import summarize_job

    options = {k: v for k, v in vars(args).items() if k not in ("command", "func", "model")}
    return summarize_job(summarizer=args.model, **options)


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from .classify.onnx_export import export_onnx

    report = export_onnx(args.model, args.output)
    print(json.dumps(report, indent=1))
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .data.build import build_data

    print(build_data(Path(args.raw), Path(args.out)))
    return 0


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each flag's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.required or action.default in (None, False, argparse.SUPPRESS):
            return action.help or ""
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(**kwargs)


def _add_job_arguments(p: argparse.ArgumentParser) -> None:
    """The batch job's options, shared by ``mlpkg tag`` and ``mlpkg summarize`` (one reader, rejects, resume)."""
    p.add_argument(
        "--input",
        required=True,
        help="JSONL, CSV (also .jsonl.gz, .csv.gz) or Parquet file by extension; - or a pipe such as <(zcat f.gz) "
        "for JSONL",
    )
    p.add_argument("--output", required=True, help="JSONL, CSV or Parquet file (by extension), or - for JSONL (stdout)")
    p.add_argument(
        "--rejects",
        help="JSONL file for rows that cannot be tagged, with row, id, reason and the raw input "
        "(default: beside OUTPUT, tags.jsonl -> tags.rejects.jsonl, tags.csv -> tags.csv.rejects.jsonl; "
        "required with --output -)",
    )
    p.add_argument("--id-field", default="id", help="id column of the input")
    p.add_argument("--text-field", default="text", help="article body column of the input")
    p.add_argument("--title-field", default="title",
                   help="title column of the input (optional in every record; a note says so when no row of the "
                   "first chunk has it; '' for an input without titles)")
    p.add_argument("--max-chars", type=int, default=200_000, help="reject texts longer than this")
    p.add_argument(
        "--max-reject-rate", type=float, default=0.05, help="fail (exit 1) when a larger share of the rows is rejected"
    )
    p.add_argument("--chunk-size", type=int, default=2_000, help="rows per chunk (memory and resume granularity)")
    p.add_argument("--row-timeout", type=float, default=120.0,
                   help="seconds one call of the model may take, on up to 250 rows and then on each row alone: "
                   "a row that takes longer is rejected as model_error instead of holding a worker (local engine)")
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="worker processes (local) or Ray actors (0 = one per core, or per cluster CPU)",
    )
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local worker processes, or Ray Data (pip install 'mlpkg[ray]')")
    p.add_argument("--address", help="Ray cluster address, e.g. ray://head:10001 (default: start a local Ray)")
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "log", "none"),
        default="auto",
        help="a progress bar on a terminal, periodic log lines otherwise",
    )


def _add_track_argument(p: argparse.ArgumentParser) -> None:
    """``--track [URI]`` of ``train``, ``cv`` and ``evaluate`` (None: not given; "": given without a URI)."""
    p.add_argument("--track", nargs="?", const="", metavar="URI",
                   help="record the run in MLflow (pip install -e '.[track]'): URI, else MLFLOW_TRACKING_URI, else "
                   "tracking.uri, else sqlite:///mlruns.db")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlpkg", description="Topic tagging and extractive summaries for Indonesian news.",
                     epilog="Errors print a stable code ([E001]...); `mlpkg errors` lists them.")
    parser.add_argument("--version", action="version", version=f"mlpkg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("train", help="train and evaluate a model from a YAML config")
    p.add_argument("--config", required=True, help="YAML file, e.g. configs/topic_tfidf.yaml")
    p.add_argument("--output-dir", help="where the model directory goes (overrides output_dir); a previous model "
                   "there is replaced whole")
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUTPUT_DIR whole even when it is a folder that holds no model (its files are deleted)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="dotted override, e.g. model.C=0.5 (repeatable)")
    _add_track_argument(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("cv", help="cross-validate a config: grouped k-fold, one publisher out, newest news out")
    p.add_argument("--config", required=True, help="YAML file, e.g. configs/topic_tfidf.yaml")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="dotted override, e.g. model.C=0.5 (repeatable)")
    p.add_argument("--protocol", choices=("group", "publisher", "newer", "both", "all"), default="all",
                   help="group: grouped k-fold; publisher: leave one publisher out; newer: news dated "
                        "evaluation.newer_from or later held out; both: group and publisher; all: "
                        "group, publisher and, where the config sets evaluation.newer_from, newer")
    p.add_argument("--output", help="folder for cv.md, cv.json and report.html (default: reports/cv/CONFIG_NAME)")
    _add_track_argument(p)
    p.set_defaults(func=cmd_cv)

    p = sub.add_parser("evaluate", help="score a saved model on a labelled file")
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--data", required=True, help="labelled parquet/jsonl/csv file")
    p.add_argument("--split", help="only rows whose split column has this value (e.g. test)")
    p.add_argument("--split-field", help="the split column (default: the model's training config, e.g. split; "
                   "split_publisher holds out a publisher)")
    p.add_argument("--output", help="folder for metrics.json, PNG plots and report.html "
                   "(default: reports/evaluate/MODEL_NAME/DATA_NAME[_SPLIT])")
    p.add_argument("--text-field", help="text column (default: the model's training config)")
    p.add_argument("--label-field", help="label column (default: the model's training config)")
    _add_track_argument(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("runs", help="the MLflow runs of an experiment as a table: differing params, main metrics")
    p.add_argument("--track", metavar="URI", help="the store (default: MLFLOW_TRACKING_URI, else sqlite:///mlruns.db)")
    p.add_argument("--experiment", default="mlpkg", help="MLflow experiment (tracking.experiment of the runs)")
    p.add_argument("--sort", metavar="METRIC", help="order by this metric, highest first (e.g. macro_f1); "
                   "default: newest first")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser(
        "tag",
        help="tag articles (batch job: resumable, rejects file, local or Ray)",
        epilog="exit status: 0 done; 1 rows unaccounted for or too many rejected; 2 error (rerun resumes); "
        "3 no records in the input; 141 stdout closed before every row of --output - was written",
    )
    p.add_argument("--model", required=True, help="classifier model directory")
    p.add_argument("--summarizer", help="summariser model directory: adds a summary to every row")
    p.add_argument("--evidence", type=int, nargs="?", const=2, default=0, metavar="K",
                   help="add, per tag given, the K sentences (default 2) that most support it: each sentence's "
                   "share of the linear model's score")
    _add_job_arguments(p)
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser(
        "summarize",
        help="write extractive summaries for a JSONL file",
        epilog="the batch job of `mlpkg tag` with a summariser only: same inputs, rejects file, resume and exit "
        "statuses",
    )
    p.add_argument("--model", required=True, help="summariser model directory")
    _add_job_arguments(p)
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("export-onnx", help="export an IndoBERT model directory to ONNX and check it agrees with torch")
    p.add_argument("--model", required=True, help="IndoBERT classifier model directory")
    p.add_argument("--output", help="ONNX file (default: MODEL/model.onnx)")
    p.set_defaults(func=cmd_export_onnx)

    p = sub.add_parser("build-data", help="rebuild data/ from the raw news folders (developers)")
    p.add_argument("--raw", default="../shared/data/raw", help="folder of the raw news dumps")
    p.add_argument("--out", default="data", help="folder for the built parquet files")
    p.set_defaults(func=cmd_build_data)

    from .label.commands import add_label_parser

    add_label_parser(sub)

    p = sub.add_parser("errors", help="list every error code mlpkg prints, with its meaning")
    p.add_argument("--markdown", action="store_true", help="a markdown table (the README's)")
    p.set_defaults(func=cmd_errors)
    return parser


def _print_warnings(command: str):
    """``warnings.showwarning`` that prints mlpkg's coded warnings as one line, like its errors."""
    import warnings

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MlpkgWarning):
            print(f"mlpkg {command}: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show


def main(argv: list[str] | None = None) -> int:
    import warnings

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _print_warnings(args.command)
            return args.func(args)
    except MlpkgError as exc:
        print(f"mlpkg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:  # a path from the command line that the checks above did not catch
        print(f"mlpkg {args.command}: error: {DataError(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
