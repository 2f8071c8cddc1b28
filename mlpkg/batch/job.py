"""``mlpkg tag`` as a production batch job: stream, validate, tag in parallel, resume, account.

The driver reads the input as a stream of records cut into fixed chunks of ``chunk_size``
records (chunk k is always the same records, so a rerun can skip what a killed run finished),
validates each chunk itself (rejects go straight to the chunk's rejects part) and hands the
articles to an engine: ``local`` (worker processes, each loading the model once) or ``ray``
(:mod:`mlpkg.batch.ray_engine`). Finished chunks become part files (:mod:`mlpkg.batch.parts`);
at the end the parts are assembled into the output and rejects files and the job checks that
every row read is in exactly one of them.

Before any work the job checks its paths (:mod:`mlpkg.batch.paths`): the input exists, the output and
rejects are writable and are neither the input nor each other, and no other job writes them. Failures
a user can act on (disk full, a read-only place, a damaged input, a dead worker) are coded errors
(:mod:`mlpkg.errors`, E101-E199) that say what to do, usually: rerun, and the job resumes.

Exit statuses of :func:`tag_job` (``mlpkg tag``): 0 done; 1 the accounting failed or too many rows
were rejected; 2 a usage, input or environment error (nothing, or only resumable work, was done);
3 the input has no records (empty output files are written: an empty extract is worth a look);
141 standard output was closed before all rows of ``--output -`` were written.

>>> tag_job(model="models/topic_tfidf", input="news.jsonl", output="tags.parquet")  # doctest: +SKIP
read 1000, tagged 997, rejected 3
0
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, fields
from hashlib import blake2b
from itertools import islice
from pathlib import Path

from ..core.model_check import check_model
from ..core.param import Param
from ..errors import (
    RESUMES,
    ConfigError,
    DataError,
    MlpkgError,
    OutputNotWritableError,
    UnfinishedChunksError,
    WorkerDiedError,
)
from .parts import ChunkCounts, PartStore, input_fingerprint
from .paths import STDIO, check_distinct, check_input, check_writable, os_error
from .portable import usable_cpus, worker_context
from .progress import MODES, Progress, mute, say
from .records import file_format, parquet_rows, read_records
from .tagger import ROW_TIMEOUT_S, ModelInfo, init_worker, tag_in_worker, worker_preload
from .validate import Article, Fields, Record, SeenIds, columns_of, dumps_line, validate_chunk
from .writers import concat_jsonl, write_output

ENGINES = ("local", "ray")
EMPTY_INPUT = 3  # exit status when the input has no records
CLOSED_STDOUT = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
TITLE_GUESS_CHARS = 300  # a column whose values are all this short may be the title a wrong --title-field missed


@dataclass
class TagOptions:
    """Everything a tag job needs; the fields are ``mlpkg tag``'s options (``mlpkg summarize``: no model)."""

    model: str | None  # classifier model directory; None: summaries only (needs a summarizer)
    input: str  # JSONL, CSV (also .gz) or Parquet file by extension, a pipe (JSONL), or "-" for JSONL on stdin
    output: str  # JSONL, CSV or Parquet file (by extension), or "-" for JSONL on standard output
    summarizer: str | None = None  # summariser model directory: adds "summary" to every row
    rejects: str | None = None  # JSONL of rejected rows (default: see rejects_path)
    id_field: str = "id"
    text_field: str = "text"
    title_field: str | None = "title"  # optional in every record; None: no titles
    max_chars: int = 200_000  # longer texts are rejected (text_too_long)
    max_reject_rate: float = 0.05  # the job fails when a larger share of the rows is rejected
    row_timeout: float = ROW_TIMEOUT_S  # seconds one model call may take (a batch, then each row alone): model_error
    chunk_size: int = 2_000  # rows per chunk: the unit of parallel work, memory and resume
    workers: int = 0  # worker processes (local) or actors (ray); 0 = one per core
    engine: str = "local"  # "local" or "ray"
    address: str | None = None  # Ray cluster, e.g. ray://head:10001; None starts a local Ray
    progress: str = "auto"  # "auto", "bar", "log" or "none"
    evidence: int = 0  # per given tag, this many sentences that most support it ("evidence"); 0: none

    params = {
        "max_chars": Param(int, 200_000, low=1), "max_reject_rate": Param(float, 0.05, low=0.0, high=1.0),
        "row_timeout": Param(float, ROW_TIMEOUT_S, low=0.0, exclusive_low=True),
        "chunk_size": Param(int, 2_000, low=1), "workers": Param(int, 0, low=0),
        "engine": Param(str, "local", choices=ENGINES), "progress": Param(str, "auto", choices=MODES),
        "evidence": Param(int, 0, low=0, high=5),
    }

    def validate(self) -> None:
        if not self.model and not self.summarizer:
            raise ConfigError("a job needs a classifier (--model) or a summariser (--summarizer), or both")
        for name, spec in self.params.items():
            spec.check(name, getattr(self, name))
        file_format(self.input)
        if file_format(self.output, "output") != "jsonl" and self.evidence:
            raise ConfigError("--evidence: the evidence sentences are written to JSONL output only (an object per "
                              f"row); got --output {self.output}")
        if self.rejects == STDIO:
            raise ConfigError("--rejects must be a file (standard output is for --output -)")
        check_distinct({"--input": self.input, "--output": self.output, "--rejects": str(self.rejects_path())})

    def rejects_path(self) -> Path:
        """``--rejects``, or beside the output: ``tags.jsonl`` → ``tags.rejects.jsonl``, ``tags.csv`` →
        ``tags.csv.rejects.jsonl`` (so two jobs that differ only in the output format never share one)."""
        if self.rejects:
            return Path(self.rejects)
        if self.output == STDIO:
            raise ConfigError("--output - needs --rejects FILE: the rows that cannot be tagged go there")
        output = Path(self.output)
        base = output.stem if output.suffix.lower() == ".jsonl" else output.name
        return output.with_name(base + ".rejects.jsonl")

    def n_workers(self) -> int:
        return self.workers or usable_cpus()


@dataclass
class JobReport:
    read: int
    tagged: int
    rejected: int
    reasons: dict[str, int]
    output: Path
    rejects: Path
    seconds: float
    rows_per_s: float  # rows/s after the first chunk (start-up and resumed chunks excluded); 0.0: too few rows
    resumed_chunks: int = 0
    startup_s: float = 0.0  # until the first chunk came back: starting workers, loading the model
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, done: str = "tagged") -> str:
        return f"read {self.read}, {done} {self.tagged}, rejected {self.rejected}"


@dataclass
class Chunk:
    index: int
    articles: list[Article]


def _batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


def _digest(records: list[Record], before: str) -> str:
    """A digest of the input records up to and including a chunk's (``before``: the previous chunk's
    digest). Whether a row is a ``duplicate_id`` depends on every row before it, so a resumed job keeps
    a finished chunk only while nothing up to its end changed, and redoes every chunk from the first
    changed one: its output is what a fresh run on the same input writes."""
    h = blake2b(before.encode("ascii"), digest_size=16)
    for r in records:
        if isinstance(r.value, bytes):  # a JSONL line
            h.update(r.value)
        elif r.raw is not None:  # a CSV record's lines
            h.update(r.raw.encode("utf-8"))
        else:  # a Parquet row
            h.update(json.dumps(r.value, sort_keys=True, default=repr).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def _chunks(opts: TagOptions, store: PartStore, progress: Progress, counts: dict[int, ChunkCounts],
            skipped: list[int]) -> Iterator[Chunk]:
    """Validated chunks still to tag; records the validation rejects, each chunk's counts and the
    chunks an earlier run finished (``skipped``) on the way."""
    fields_ = Fields(opts.id_field, opts.text_field, opts.title_field)
    seen = SeenIds()  # rebuilt over skipped chunks too, so a duplicate is judged the same on every run
    digest, unchanged_to = "", 0  # the rows up to unchanged_to are those of the interrupted run
    changed = False
    for index, records in enumerate(_batched(read_records(opts.input, fields_), opts.chunk_size)):
        digest = _digest(records, digest)
        articles, rejects = validate_chunk(records, fields_, opts.max_chars, seen)
        if index == 0:
            _check_fields(opts, records, articles, rejects)
        done = store.is_done(index, digest)
        if done is not None:
            progress.skip(done.read, done.tagged, done.rejected)
            counts[index] = done
            skipped.append(index)
            unchanged_to = records[-1].row
            continue
        if index in store.done and not changed:
            changed = True
            progress.log(f"the input changed since the interrupted run (the first change is in rows "
                         f"{unchanged_to + 1}-{records[-1].row}): that chunk and every later one are tagged again")
        store.write_rejects(index, [dumps_line(r) for r in rejects])
        counts[index] = ChunkCounts(len(records), 0, len(rejects), dict(Counter(r["reason"] for r in rejects)), digest)
        yield Chunk(index, articles)


def _check_fields(opts: TagOptions, records: list, articles: list, rejects: list[dict]) -> None:
    """Stop before a whole pass when no row of the first chunk has the id or text field: a wrong
    ``--text-field`` (a Parquet body column named ``isi``) would otherwise reject every row. Say so
    when none has the title field: the articles are then tagged without titles, and score otherwise."""
    reasons = {r["reason"] for r in rejects}
    missing_title = bool(opts.title_field and records) and not _has_field(opts, records, opts.title_field)
    stop = not articles and rejects and reasons <= {"missing_text", "missing_id"}
    if not (stop or missing_title):
        return
    columns = _columns(opts, records)
    if not columns:
        return
    flag, field_ = ("--text-field", opts.text_field) if "missing_text" in reasons else ("--id-field", opts.id_field)
    guess = max(columns, key=columns.get) if flag == "--text-field" else next(iter(columns))
    taken = {opts.id_field, opts.text_field} | ({guess} if stop else set())
    others = [c for c in columns if c not in taken and 0 < columns[c] <= TITLE_GUESS_CHARS]
    title_hint = f" --title-field {others[0]}" if missing_title and others else ""
    if stop:
        raise DataError(f"{opts.input}: no row of the first {len(records)} has the field {field_!r} ({flag}); "
                        f"columns present: {sorted(columns)}; rerun with e.g. {flag} {guess}{title_hint}")
    say(f"mlpkg tag: note: no row of the first {len(records)} has the title field {opts.title_field!r} "
        f"(--title-field), so the articles are tagged without titles; columns present: {sorted(columns)}"
        + (f"; if the title is in another one, rerun with{title_hint}" if title_hint else "")
        + " (--title-field '' says the input has none)")


def _has_field(opts: TagOptions, records: list[Record], name: str) -> bool:
    if file_format(opts.input) == "parquet":
        import pyarrow.parquet as pq

        return name in pq.read_schema(opts.input).names
    return any(name in columns_of([record]) for record in records)  # stops at the first row that has it


def _columns(opts: TagOptions, records: list[Record]) -> dict[str, int]:
    """The input's columns, each with its longest string value in the first rows."""
    if file_format(opts.input) == "parquet":  # rows carry only the asked-for columns: read the schema
        import pyarrow.parquet as pq

        head = pq.ParquetFile(opts.input).read_row_group(0).slice(0, 20).to_pylist() if records else []
        return {name: max((len(r[name]) for r in head if isinstance(r.get(name), str)), default=0)
                for name in pq.read_schema(opts.input).names}
    return columns_of(records)


def run_local(chunks: Iterable[Chunk], model: ModelInfo | None, summarizer: ModelInfo | None,
              workers: int, row_timeout: float = ROW_TIMEOUT_S,
              evidence: int = 0) -> Iterator[tuple[int, list[tuple[int, bool, str]]]]:
    """Tag chunks in ``workers`` processes, at most two chunks per worker in flight; yield in order."""
    # Workers fork from a single-threaded server that has imported the models' code once: fast
    # to start (no per-worker imports), and safe, unlike forking a driver that runs pyarrow threads.
    context = worker_context()
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(worker_preload(model, summarizer))
    initargs = (model.path if model else None, summarizer.path if summarizer else None, os.getpid(), row_timeout,
                evidence)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker, initargs=initargs) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk.index, pool.submit(tag_in_worker, chunk.articles) if chunk.articles else None))
            while len(pending) > 2 * workers:
                index, future = pending.popleft()
                yield index, future.result() if future else []
        while pending:
            index, future = pending.popleft()
            yield index, future.result() if future else []


def _tag_chunks(opts: TagOptions, model: ModelInfo | None, summarizer: ModelInfo | None,
                chunks: Iterator[Chunk]) -> Iterator[tuple[int, list[tuple[int, bool, str]]]]:
    if opts.engine == "local":
        return run_local(chunks, model, summarizer, opts.n_workers(), opts.row_timeout, opts.evidence)
    try:
        from .ray_engine import run_ray
    except ImportError as exc:
        raise ConfigError(f"--engine ray needs Ray Data ({exc}); install it with: pip install 'mlpkg[ray]'") from None
    return run_ray(chunks, model, summarizer, opts.workers, opts.address, opts.row_timeout, opts.evidence)


def check_evidence(model) -> None:
    """--evidence needs a model whose score splits into sentence shares: refused before any worker starts."""
    from ..classify.evidence import evidence_problem

    problem = evidence_problem(model)
    if problem:
        raise ConfigError(f"--evidence: {problem}; evidence needs a linear TF-IDF tagger without character "
                          "n-grams (tfidf_linear.v1, tfidf_lexicon.v1, tfidf_lexicon_vectors.v1)")


def run_job(opts: TagOptions) -> JobReport:
    """Run (or resume) a tag job; the report holds the counts and any accounting problem."""
    opts.validate()
    check_input(opts.input)
    model = ModelInfo.read(opts.model, "classifier", "--model") if opts.model else None
    summarizer_option = "--summarizer" if opts.model else "--model"  # `mlpkg summarize --model`
    summarizer = ModelInfo.read(opts.summarizer, "summarizer", summarizer_option) if opts.summarizer else None
    # a broken model fails here, naming its file, not in every worker as E104
    loaded = {directory: check_model(directory) for directory in filter(None, (opts.model, opts.summarizer))}
    if opts.evidence and opts.model:
        check_evidence(loaded[opts.model])
    output, rejects = Path(opts.output), opts.rejects_path()
    writes = [rejects] if opts.output == STDIO else [output, rejects]
    for path in writes:
        check_writable(path, "--rejects" if path is rejects else "--output")
    fingerprint = {"input": input_fingerprint(opts.input), "model": model.hash if model else None,
                   "summarizer": summarizer.hash if summarizer else None,
                   "fields": [opts.id_field, opts.text_field, opts.title_field],
                   "max_chars": opts.max_chars, "chunk_size": opts.chunk_size, "evidence": opts.evidence}
    start = time.monotonic()
    store = PartStore(writes[0], fingerprint, writes)
    counts: dict[int, ChunkCounts] = {}
    skipped: list[int] = []
    try:
        with _explained(store.dir):
            store.open()
            total = parquet_rows(Path(opts.input)) if file_format(opts.input) == "parquet" else None
            progress = Progress(opts.progress, total=total)
            try:
                if store.restart:
                    progress.log(f"starting over: {store.restart}")
                if store.resumed:
                    progress.log(f"resuming: {len(store.done)} chunks of {store.dir} are already done")
                chunks = _chunks(opts, store, progress, counts, skipped)
                # closing(): an exception here shuts the workers down now, not whenever the generator is collected
                with closing(_tag_chunks(opts, model, summarizer, chunks)) as tagged:
                    for index, results in tagged:
                        _record(store, progress, counts[index], index, results)
                rate, startup = progress.rate(), progress.startup_s()
            finally:
                progress.close()
            seconds = time.monotonic() - start
            report = _finish(opts, store, counts, output, rejects, model, summarizer, seconds, rate, len(skipped))
            report.startup_s = startup
            return report
    finally:
        store.close()


@contextmanager
def _explained(parts: Path) -> Iterator[None]:
    """Failures of the machine rather than of the data, as coded errors that say what to do."""
    try:
        yield
    except FileNotFoundError as exc:  # the input's are InputReadError (E103): this is a folder the job writes
        if isinstance(exc, MlpkgError):
            raise
        raise OutputNotWritableError(
            f"{exc.filename or exc}: a folder the job writes was removed while it ran; {RESUMES} (from the "
            f"first chunk if the parts folder {parts} went too)") from None
    except BrokenProcessPool as exc:
        raise WorkerDiedError(f"a worker process died while tagging ({exc}): it was killed, or ran out of memory; "
                              f"{RESUMES} (with fewer --workers or a smaller --chunk-size if it happens again)"
                              ) from None
    except OSError as exc:
        if isinstance(exc, MlpkgError) or exc.errno not in _WRITE_ERRNOS:
            raise
        raise os_error(exc, "writing the job's files", RESUMES) from None


def _record(store: PartStore, progress: Progress, c: ChunkCounts, index: int,
            results: list[tuple[int, bool, str]]) -> None:
    tagged = [line for _, is_reject, line in results if not is_reject]
    model_rejects = [line for _, is_reject, line in results if is_reject]
    c.tagged, c.rejected = len(tagged), c.rejected + len(model_rejects)
    if model_rejects:
        c.reasons["model_error"] = c.reasons.get("model_error", 0) + len(model_rejects)
    store.finish_chunk(index, tagged, model_rejects, c)
    progress.update(c.read, c.tagged, c.rejected)


def _finish(opts: TagOptions, store: PartStore, counts: dict[int, ChunkCounts], output: Path, rejects: Path,
            model: ModelInfo | None, summarizer: ModelInfo | None, seconds: float, rate: float,
            resumed: int) -> JobReport:
    """Assemble the final files from the parts of chunks 0..n-1, check the accounting, drop the parts."""
    chunks = range(len(counts))
    unfinished = [k for k in chunks if k not in store.done]
    if unfinished:
        raise UnfinishedChunksError(f"the engine returned without finishing chunks {unfinished[:10]}; {RESUMES}")
    tagged = write_output([store.part(k) for k in chunks], output, model.labels if model else None,
                          summarizer is not None)
    rejected = concat_jsonl([store.rejects(k) for k in chunks], rejects)
    store.remove()
    read = sum(c.read for c in counts.values())
    reasons = Counter()
    for c in counts.values():
        reasons.update(c.reasons)
    report = JobReport(read, tagged, rejected, dict(sorted(reasons.items())), output, rejects, seconds, rate,
                       resumed)
    if read != tagged + rejected:
        report.problems.append(f"read {read} rows but wrote {tagged + rejected} "
                               f"({tagged} to {output}, {rejected} to {rejects})")
    if read and rejected / read > opts.max_reject_rate:
        report.problems.append(f"{rejected / read:.1%} of the rows were rejected, more than "
                               f"--max-reject-rate {opts.max_reject_rate:g} (see {rejects})")
    return report


def tag_job(**options) -> int:
    """``mlpkg tag``: run the job, print ``read N, tagged T, rejected R`` (to standard error under
    ``--output -``); return the exit status (see the module doc)."""
    return _run_command("tag", options)


def summarize_job(**options) -> int:
    """``mlpkg summarize``: the tag job with a summariser and no classifier, so summaries get the same
    reader (JSONL, CSV, Parquet), rejects file, resume and workers; exit statuses as :func:`tag_job`."""
    return _run_command("summarize", {**options, "model": None})


def _run_command(command: str, options: dict) -> int:
    done = "summarised" if command == "summarize" else "tagged"
    names = {f.name for f in fields(TagOptions)}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ConfigError(f"tag_job: unknown option(s) {unknown}; allowed: {sorted(names)}")
    try:
        report = run_job(TagOptions(**options))
    except BrokenPipeError:  # the reader of --output - went away: stop quietly, as `yes | head` does
        if options["output"] != STDIO:
            raise
        mute(sys.stdout)
        say(f"mlpkg {command}: standard output was closed before every row was written; rerun to write them all")
        return CLOSED_STDOUT
    say(report.summary(done), sys.stderr if options["output"] == STDIO else sys.stdout)  # stdout: the rows alone
    if report.reasons:
        say("rejected by reason: " + ", ".join(f"{k} {v}" for k, v in report.reasons.items()))
    if report.rows_per_s:
        speed = f"{report.rows_per_s:.0f} rows/s after {report.startup_s:.1f}s of start-up (workers, model loading)"
    else:
        speed = f"{report.seconds:.1f}s, {report.startup_s:.1f}s of it start-up (too few rows to measure rows/s)"
    say(f"{speed}; output {report.output}, rejects {report.rejects}")
    for problem in report.problems:
        say(f"mlpkg {command}: error: {problem}")
    if not report.ok:
        return 1
    if report.read == 0:
        say(f"mlpkg {command}: {options['input']} has no records: the output and rejects files are empty "
            f"(exit status {EMPTY_INPUT})")
        return EMPTY_INPUT
    return 0
