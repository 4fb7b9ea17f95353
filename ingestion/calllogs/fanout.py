"""A large file in several processes: chunks of lines, each read, classified and written apart.

In one process the job is bound by one interpreter lock: the classifier and the Python work of
storing a call (parsing, cleaning, building the rows) take turns (docs/benchmarks.md). A canonical
JSON Lines file of more than CALL_LOG_CHUNK_LINES lines is therefore cut at line boundaries into
chunks, and CALL_LOG_PROCESSES processes forked from the job take the chunks in turn. Each runs
the same loop as the single-process path (stream.records_write: batches, nlp.pipe, the bulk
writes on its own writer thread) with its own interpreter and its own database connection; the
model loaded in the job is shared copy-on-write, not loaded again.

The rules hold as in one process:
- processed once: the ledger row is the job's; chunks only write messages, idempotently (ON
  CONFLICT on (call_center, call_id)), so two chunks carrying the same call store it once;
- line numbers: a chunk knows the file line it starts on, so rejects carry the file's numbers;
  the job appends each chunk's rejects to the file's report in chunk order;
- a crash: if any chunk fails (or its process dies) the chunks not started are cancelled and the
  file fails like a single-process run; the next run reads the whole file again, and what is
  already stored is absorbed, never written or classified twice;
- bounded memory: a chunk streams its lines; each process holds one batch being classified and
  one being written. Two things grow with the file, and are said so: the call ids while the file
  is cut (one dict entry a call), and the calls repeated across chunks until the end (rare).

Forked, not spawned: a fork starts in milliseconds with the model already loaded (spaCy's own
`nlp.pipe(n_process=...)` forks the same way on Linux). The job closes its database connections
first, so no process shares a socket, and forks before it starts any thread of its own.
Only plain, uncompressed JSON Lines is cut: a CSV row may span lines (a quoted newline), a
gzip stream cannot be entered in the middle, and Connect records are joined across the file.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from ingestion.calllogs import canonical, formats, stream
from ingestion.calllogs.records import CallRecord, Parsed, RowError, read_call_id
from ingestion.calllogs.rejects import RejectsReport
from ingestion.calllogs.summary import FileSummary
from ingestion.models import RawEvent
from ingestion.timeparse import get_zone
from lake import Lake, get_lake

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # byte offset of its first line
    end: int  # byte offset after its last line
    first_line: int
    last_line: int
    # Lines whose call id an earlier chunk already carries: set aside, stored after every chunk.
    later_copies: frozenset[int] = frozenset()


@dataclass
class ChunkResult:
    index: int
    summary: FileSummary
    rejects_path: str
    rejects_first: list[dict[str, object]] = field(default_factory=list)
    later_copies: list[CallRecord] = field(default_factory=list)
    peak_rss_kb: int = 0


def chunks_for(fmt: str, path: Path) -> list[Chunk] | None:
    """The file's chunks when it is worth fanning out, else None (the single-process path)."""
    processes, per_chunk = settings.CALL_LOG_PROCESSES, settings.CALL_LOG_CHUNK_LINES
    if processes < 2 or fmt != formats.CANONICAL_JSONL or not _forkable():
        return None
    with open(path, "rb") as probe:
        if probe.read(2) == formats.GZIP_MAGIC:
            return None
    chunks = list(_cut(path, per_chunk))
    return chunks if len(chunks) > 1 else None


def _forkable() -> bool:
    # The chunks write through their own connections: they cannot see rows the job has not
    # committed (a test's transaction, an admin action wrapped in atomic), and SQLite has one writer.
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _cut(path: Path, per_chunk: int) -> Iterator[Chunk]:
    """Chunks of `per_chunk` lines, each knowing which of its calls an earlier chunk also has.

    The same call twice in a file: in one process the first copy is stored and the later ones
    are duplicates (or complete it, when the first had no words). Chunks run in any order, so a
    later copy in another chunk is set aside and stored after all chunks, in line order: every
    call ends up as in one process. Costs a JSON parse of each line here and the file's call ids
    in memory (some 100 bytes a call) while it is cut.
    """
    index = line = 0
    start = position = 0
    first = 1
    first_chunk: dict[str, int] = {}
    later: set[int] = set()
    with open(path, "rb") as handle:
        for raw in handle:
            line += 1
            position += len(raw)
            call_id = _call_id(raw)
            if call_id is not None:
                if first_chunk.setdefault(call_id, index) != index:
                    later.add(line)
            if line - first + 1 >= per_chunk:
                yield Chunk(index, start, position, first, line, frozenset(later))
                index, start, first, later = index + 1, position, line + 1, set()
    if position > start:
        yield Chunk(index, start, position, first, line, frozenset(later))


def _call_id(raw: bytes) -> str | None:
    try:
        row = json.loads(raw)
        return read_call_id(canonical.canonical_row(row).get("call_id")) if isinstance(row, dict) else None
    except (ValueError, RowError):
        return None  # the chunk rejects the line with its reason


def records_write_fanned(
    *,
    lake: Lake,
    event: RawEvent,
    local: Path,
    fmt: str,
    key: str,
    chunks: list[Chunk],
    summary: FileSummary,
    rejects: RejectsReport,
    on_chunk: Callable[[int, int, int], None] | None = None,
) -> list[ChunkResult]:
    """Every chunk through `CALL_LOG_PROCESSES` forked processes; counts and rejects into the file's.

    `on_chunk(chunks done, last line of the done prefix, lines done)` after each chunk finishes.
    """
    connections.close_all()  # before the fork: no process may inherit (and share) a connection
    results: dict[int, ChunkResult] = {}
    processes = min(settings.CALL_LOG_PROCESSES, len(chunks))
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    futures: list[Future[ChunkResult]] = []
    try:
        with _children_allowed():  # the processes are forked at the first submit
            futures = [
                pool.submit(_chunk_run, event_id=str(event.id), path=str(local), fmt=fmt, key=key, chunk=c)
                for c in chunks
            ]
        pending = set(futures)
        lines_done = 0
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                result = future.result()  # a failed chunk (or a dead process) fails the file here
                results[result.index] = result
                summary.merge(result.summary)
                chunk = chunks[result.index]
                lines_done += chunk.last_line - chunk.first_line + 1
                if on_chunk:
                    on_chunk(len(results), _done_prefix(chunks, results), lines_done)
        for index in sorted(results):  # the report in line order, whichever chunk finished first
            part = results[index]
            rejects.extend(Path(part.rejects_path), count=part.summary.rejected, first=part.rejects_first)
        pool.shutdown(wait=True)
        later = sorted((r for part in results.values() for r in part.later_copies), key=lambda r: r.line)
        if later:  # every first copy is stored: the later ones now, as one process would have
            stream.records_write(
                lake=lake, event=event, fmt=fmt, key=key, parsed=later, summary=summary, rejects=rejects
            )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:  # the spools, including those of chunks that finished after a failure
            if future.done() and not future.cancelled() and future.exception() is None:
                Path(future.result().rejects_path).unlink(missing_ok=True)
    return [results[i] for i in sorted(results)]


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a Celery prefork pool process (a daemon) fork the chunk processes.

    multiprocessing forbids daemons children because a daemon is killed when its parent exits,
    which would orphan them. Here the job waits for its chunk processes, and each one asks the
    kernel to kill it when the job's process dies (`_die_with_parent`), so none is left behind.
    """
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


def _die_with_parent(parent: int) -> None:
    """In a chunk process: SIGKILL when the job's process dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own clean-up still ends the processes with the job
    if os.getppid() != parent:  # the job died before the request took effect
        os._exit(1)


def _done_prefix(chunks: list[Chunk], results: dict[int, ChunkResult]) -> int:
    """The last line up to which every chunk is done (what a heartbeat can promise)."""
    line = 0
    for chunk in chunks:
        if chunk.index not in results:
            break
        line = chunk.last_line
    return line


def _chunk_run(*, event_id: str, path: str, fmt: str, key: str, chunk: Chunk) -> ChunkResult:
    """In a forked process: one chunk, start to end, on this process's own connections."""
    try:
        event = RawEvent.objects.get(id=event_id)
        summary = FileSummary(key=key, outcome="ingested", format=fmt)
        rejects = RejectsReport(directory=settings.CALL_LOG_WORK_DIR)
        try:
            with open(path, "rb") as handle:
                parsed = canonical.parse_jsonl(
                    _lines(handle, chunk), zone=get_zone(settings.CALL_LOG_SOURCE_TZ), first_line=chunk.first_line
                )
                later: list[CallRecord] = []
                stream.records_write(
                    lake=get_lake(),
                    event=event,
                    fmt=fmt,
                    key=key,
                    parsed=_set_aside(parsed, chunk.later_copies, later),
                    summary=summary,
                    rejects=rejects,
                )
        except BaseException:
            rejects.close()
            raise
        return ChunkResult(
            index=chunk.index,
            summary=summary,
            rejects_path=str(rejects.detach()),
            rejects_first=rejects.first,
            later_copies=later,
            peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        )
    finally:
        connections.close_all()


def _set_aside(parsed: Iterator[Parsed], lines: frozenset[int], into: list[CallRecord]) -> Iterator[Parsed]:
    for item in parsed:
        if lines and isinstance(item, CallRecord) and item.line in lines:
            into.append(item)
        else:
            yield item


def _lines(handle: object, chunk: Chunk) -> Iterator[bytes]:
    handle.seek(chunk.start)  # type: ignore[attr-defined]
    position = chunk.start
    while position < chunk.end:
        raw: bytes = handle.readline()  # type: ignore[attr-defined]
        if not raw:
            return
        position += len(raw)
        yield raw
