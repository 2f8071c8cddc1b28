"""The ``ray`` engine: the same chunks, tagged by Ray Data ``map_batches`` on a pool of actors.

Each actor is a :class:`TagUDF` that loads the model once, in its constructor, and then tags
every batch it is given with :func:`~mlpkg.batch.tagger.tag_articles`, the function the local
engine's processes call, so both engines write identical lines. The driver still reads,
validates, resumes and writes the parts (:mod:`mlpkg.batch.job`); Ray only does the tagging.

The driver stages the chunks still to tag in Ray's object store (one Arrow block per chunk) a
window of ``WINDOW_CHARS`` characters at a time and runs one Ray Data pipeline per window, so
memory stays bounded whatever the input size; each pipeline's actors load the model once, so
the model is loaded once per actor per window (one window holds ~100,000 average articles).
Results come back in input order (``preserve_order``) and are written chunk by chunk, so a
killed driver resumes like a local job.

On a laptop or in CI ``--engine ray`` starts a local Ray with one CPU per worker. On a cluster::

    # every node needs mlpkg's dependencies: pip install 'mlpkg[ray]'
    ray start --head --port 6379 --ray-client-server-port 10001   # on the head node
    ray start --address HEAD:6379                                  # on the other nodes
    # from the machine with the input and the models (Ray Client: pip install 'ray[client]')
    mlpkg tag --engine ray --address ray://HEAD:10001 --workers 32 \\
        --model models/topic_tfidf --input news.jsonl --output tags.parquet
    # or from a node of the cluster itself: --address auto

The driver ships its copy of the ``mlpkg`` package (``runtime_env`` ``py_modules``) and the
model directories' files to the actors, so the cluster needs neither the input nor the models
on its disks, and runs the driver's version of the code.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import ray
import ray.data

from ..errors import WorkerDiedError
from .portable import usable_cpus
from .tagger import ModelInfo, Tagger, tag_articles
from .validate import Article

# A dead actor is restarted, and its chunk retried, this many times: a chunk that kills its actor every
# time (a row that runs it out of memory or crashes native code) then fails the job instead of looping
RETRIES = 2
WINDOW_CHARS = 200 * 2**20  # of article text staged per pipeline: bounds memory, keeps model loads rare
_BLOCK_SCHEMA = pa.schema([("chunk", pa.int64()), ("row", pa.int64()), ("id", pa.large_string()),
                           ("title", pa.large_string()), ("text", pa.large_string())])


def _pack(directory: str | Path) -> dict[str, bytes]:
    """A model directory's files by relative path, to rebuild it on a worker without shared disks."""
    directory = Path(directory)
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _unpack(files: dict[str, bytes], directory: Path) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return directory


class TagUDF:
    """Ray Data class UDF: one loaded :class:`~mlpkg.batch.tagger.Tagger` per actor."""

    def __init__(self, model_files: dict[str, bytes] | None, summarizer_files: dict[str, bytes] | None,
                 row_timeout_s: float, evidence: int = 0):
        with tempfile.TemporaryDirectory(prefix="mlpkg-tag-") as tmp:
            model_dir = _unpack(model_files, Path(tmp) / "model") if model_files else None
            summarizer_dir = _unpack(summarizer_files, Path(tmp) / "summarizer") if summarizer_files else None
            self.tagger = Tagger(model_dir, summarizer_dir, evidence)  # reads everything; the files may go
        self.row_timeout_s = row_timeout_s

    def __call__(self, batch: pa.Table) -> pa.Table:
        columns = [batch[name].to_pylist() for name in ("row", "id", "title", "text")]
        results = tag_articles(self.tagger, [Article(*values) for values in zip(*columns)], self.row_timeout_s)
        return pa.table({"chunk": batch["chunk"], "row": [r for r, _, _ in results],
                         "reject": pa.array([rej for _, rej, _ in results], pa.bool_()),
                         "line": pa.array([line for _, _, line in results], pa.large_string())})


class Staged(NamedTuple):
    """A chunk put in Ray's object store, waiting for its window's pipeline."""

    index: int
    ref: ray.ObjectRef
    articles: int
    first_row: int
    last_row: int


def _block(index: int, articles: list[Article]) -> pa.Table:
    return pa.table({"chunk": [index] * len(articles), "row": [a.row for a in articles],
                     "id": [a.id for a in articles], "title": [a.title for a in articles],
                     "text": [a.text for a in articles]}, schema=_BLOCK_SCHEMA)


def _start(workers: int, address: str | None) -> tuple[int, bool]:
    """Connect to (or start) Ray; return the number of actors to use and whether we started Ray."""
    started = False
    if not ray.is_initialized():
        if address:
            import mlpkg

            ray.init(address=address, logging_level=logging.WARNING,
                     runtime_env={"py_modules": [str(Path(mlpkg.__file__).parent)]})
        else:
            # kill_idle_workers_interval_ms 0: the raylet does not reap the idle task workers that fetched the
            # blocks' metadata (from_arrow_refs); their exit mid-run printed "Fatal Python error: Aborted"
            ray.init(num_cpus=workers or usable_cpus(), include_dashboard=False, logging_level=logging.WARNING,
                     _system_config={"kill_idle_workers_interval_ms": 0})
        started = True
    return workers or max(1, int(ray.cluster_resources().get("CPU", 1))), started


def run_ray(chunks: Iterable, model: ModelInfo | None, summarizer: ModelInfo | None, workers: int,
            address: str | None, row_timeout_s: float,
            evidence: int = 0) -> Iterator[tuple[int, list[tuple[int, bool, str]]]]:
    """Tag chunks on Ray Data; yield ``(chunk index, [(row, is_reject, line)])`` as chunks complete."""
    actors, started = _start(workers, address)
    context = ray.data.DataContext.get_current()
    saved = (context.enable_progress_bars, context.execution_options.preserve_order)
    context.enable_progress_bars, context.execution_options.preserve_order = False, True
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    files = (_pack(model.path) if model else None, _pack(summarizer.path) if summarizer else None, row_timeout_s,
             evidence)
    try:
        window: list[Staged] = []
        chars = 0
        for chunk in chunks:
            if not chunk.articles:
                yield chunk.index, []
                continue
            window.append(Staged(chunk.index, ray.put(_block(chunk.index, chunk.articles)), len(chunk.articles),
                                 chunk.articles[0].row, chunk.articles[-1].row))
            chars += sum(len(a.text) for a in chunk.articles)
            if chars >= WINDOW_CHARS:
                yield from _tag_window(window, files, actors)
                window, chars = [], 0
        if window:
            yield from _tag_window(window, files, actors)
    finally:
        context.enable_progress_bars, context.execution_options.preserve_order = saved
        if started:
            ray.shutdown()


def _tag_window(window: list[Staged], files: tuple, actors: int) -> Iterator[tuple[int, list[tuple[int, bool, str]]]]:
    """One Ray Data pipeline over the staged chunks of a window; chunks are yielded as they complete."""
    expected = {staged.index: staged.articles for staged in window}
    with warnings.catch_warnings():  # max_restarts and max_task_retries have no named parameter yet (Ray 2.60)
        warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated")
        dataset = ray.data.from_arrow_refs([staged.ref for staged in window]).map_batches(
            TagUDF, fn_constructor_args=files, compute=ray.data.ActorPoolStrategy(size=actors), batch_size=None,
            batch_format="pyarrow", num_cpus=1, max_restarts=RETRIES, max_task_retries=RETRIES)
    received: dict[int, list[tuple[int, bool, str]]] = {}
    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            for index, row, is_reject, line in zip(*(batch[c].to_pylist()
                                                     for c in ("chunk", "row", "reject", "line"))):
                received.setdefault(index, []).append((row, is_reject, line))
                if len(received[index]) == expected[index]:
                    yield index, sorted(received.pop(index))
                    del expected[index]
    except ray.exceptions.RayActorError as exc:
        raise WorkerDiedError(_died(exc, [staged for staged in window if staged.index in expected])) from None


def _died(exc: Exception, unfinished: list[Staged]) -> str:
    """What E104 says when a chunk killed its actor on every try: which chunk(s), and what to do."""
    where = ", ".join(f"{s.index} (rows {s.first_row}-{s.last_row})" for s in unfinished[:5])
    where = f"chunk {where}" if len(unfinished) == 1 else f"one of the chunks {where}" + (
        f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else "")
    cause = str(exc).strip().splitlines()[0][:200]
    return (f"a Ray worker died on every one of {RETRIES + 1} tries while tagging {where} ({cause}): a row there "
            f"kills the worker (out of memory? a crash in native code?); the chunks finished so far are kept, so a "
            f"rerun resumes, but it stops there again until that row is removed or the workers get more memory")
