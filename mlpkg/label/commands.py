"""``mlpkg label ...``: thin command functions over :mod:`mlpkg.label` (parsers added by ``cli.py``)."""

from __future__ import annotations

import argparse
import getpass
import json
import os

DEFAULT_CONFIG = "configs/topic_tfidf.yaml"


def _config(args: argparse.Namespace) -> str | None:
    """The config whose tags and lexicon are used when no --model is given (the default one if present)."""
    from ..data.load import resolve_data_path

    if args.config:
        return args.config
    path = resolve_data_path(DEFAULT_CONFIG)
    return str(path) if path.exists() else None


def _session(args: argparse.Namespace):
    from ..batch.validate import Fields
    from .session import LabelSession

    return LabelSession(args.pool, args.labels, model_dir=args.model, tag=args.tag, config=_config(args),
                        fields=Fields(args.id_field, args.text_field, args.title_field))


def _annotator(args: argparse.Namespace) -> str:
    return args.annotator or os.environ.get("MLPKG_ANNOTATOR") or getpass.getuser()


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    serve(_session(args), args.host, args.port, args.token or os.environ.get("MLPKG_LABEL_TOKEN"),
          annotator=args.annotator or "")
    return 0


def cmd_terminal(args: argparse.Namespace) -> int:
    from .terminal import run_terminal

    n = run_terminal(_session(args), _annotator(args))
    print(f"{n} decisions written to {args.labels}")
    return 0


QUEUE_HEADER = "priority\tid\ttag\tscores\ttitle\twhy"


def cmd_queue(args: argparse.Namespace) -> int:
    session = _session(args)
    ranked = session.ranked()
    if not ranked:
        print(f"the queue is empty: every candidate of {args.pool} is decided or skipped in {args.labels}")
        return 0
    print(QUEUE_HEADER)
    for c in ranked[: args.top]:
        scores = " ".join(f"{t}={p:.2f}" for t, p in c.scores.items())
        print(f"{c.priority:.3f}\t{c.id}\t{c.tag}\t{scores}\t{(c.title or c.text)[:70]!r}\t{'; '.join(c.reasons)}")
    return 0


def cmd_export_ls(args: argparse.Namespace) -> int:
    from .labelstudio import export_tasks

    print(json.dumps(export_tasks(_session(args), args.output, args.limit)))
    return 0


def cmd_import_ls(args: argparse.Namespace) -> int:
    from ..config import load_config
    from .labelstudio import import_annotations

    config = _config(args)
    tags = list(load_config(config).data.labels or []) if config else []
    if args.tags:
        tags = args.tags.split(",")
    print(json.dumps(import_annotations(args.input, args.labels, tags)))
    return 0


def _pool_args(p: argparse.ArgumentParser, labels_help: str) -> None:
    p.add_argument("--pool", required=True,
                   help="unlabelled articles ({id, text, title?}): JSONL, CSV (.gz too) or Parquet, as for `mlpkg tag`")
    p.add_argument("--labels", required=True, help=labels_help)
    p.add_argument("--model", help="topic tagger directory: ranks by its scores and shows them (re-read after a "
                   "retrain into the same folder); without it the queue ranks by lexicon hits")
    p.add_argument("--tag", help="queue for this tag only (default: every tag)")
    p.add_argument("--config", help=f"tags and lexicon when there is no --model (default: {DEFAULT_CONFIG})")
    p.add_argument("--id-field", default="id", help="id column of the pool")
    p.add_argument("--text-field", default="text", help="article body column of the pool")
    p.add_argument("--title-field", default="title", help="title column of the pool (optional)")


def add_label_parser(sub) -> None:
    """Add ``mlpkg label`` and its subcommands to the main parser's subparsers."""
    label = sub.add_parser("label", help="grow a tag: rank unlabelled articles, label them in a browser or terminal")
    commands = label.add_subparsers(dest="label_command", required=True, metavar="SUBCOMMAND",
                                    help="serve (web page), cli (terminal), queue, export-ls, import-ls")
    labels_help = "JSONL file every decision is appended to (created if absent; shared by annotators)"

    p = commands.add_parser("serve", help="annotation page on a local web server")
    _pool_args(p, labels_help)
    p.add_argument("--host", default="127.0.0.1", help="bind address; beyond loopback a token is required")
    p.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    p.add_argument("--token", help="access token (default: $MLPKG_LABEL_TOKEN; a random one when bound beyond "
                   "loopback)")
    p.add_argument("--annotator", help="default annotator name for the page (each page can set its own)")
    p.set_defaults(func=cmd_serve)

    p = commands.add_parser("cli", help="label in the terminal (same labels file)")
    _pool_args(p, labels_help)
    p.add_argument("--annotator", help="your name (default: $MLPKG_ANNOTATOR or the login name)")
    p.set_defaults(func=cmd_terminal)

    p = commands.add_parser("queue", help="print the ranked queue (priority, id, tag, scores, title, why)")
    _pool_args(p, labels_help)
    p.add_argument("--top", type=int, default=20, help="how many candidates to print")
    p.set_defaults(func=cmd_queue)

    p = commands.add_parser("export-ls", help="write the top of the queue as Label Studio JSON tasks "
                            "(+ label_config.xml beside them)")
    _pool_args(p, "labels file: its decided articles are left out")
    p.add_argument("--output", required=True, help="tasks JSON file")
    p.add_argument("--limit", type=int, default=500, help="tasks to write, best first")
    p.set_defaults(func=cmd_export_ls)

    p = commands.add_parser("import-ls", help="append a Label Studio JSON export's annotations to a labels file")
    p.add_argument("--input", required=True, help="Label Studio export (JSON) of tasks written by export-ls")
    p.add_argument("--labels", required=True, help="labels file to append to")
    p.add_argument("--config", help=f"config whose data.labels are the tags (default: {DEFAULT_CONFIG})")
    p.add_argument("--tags", help="comma-separated tags instead of the config's")
    p.set_defaults(func=cmd_import_ls)

