"""The `crosscheck` command: serve, worker, compare, ingest, judge — each one call into the
core.

Exit codes: 0 success, 1 bad input (with a message on standard error), 2 usage errors.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import logging
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import click
from pydantic import ValidationError
from tqdm import tqdm

from models.errors import CrosscheckError, InputError
from models.labels import Verdict
from service.analysis import Analyser
from service.config import Settings
from service.core import Crosscheck
from service.files import article_files, read_article
from service.schemas import ApiKeyPublic, ArticleIn, CompareReport, JudgePairIn, Scope

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

MARKERS = {
    Verdict.CORROBORATED: "[+]",
    Verdict.CONTESTED: "[!]",
    Verdict.SINGLE_SOURCE: "[ ]",
}
WIDTH = 100


def _brief(error: ValidationError) -> str:
    """The first problem of a validation error, without echoing the input."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "value"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _input_errors_exit_1(command: Callable[P, R]) -> Callable[P, R]:
    """Turn crosscheck's input and model errors into exit code 1 with a one-line message."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CrosscheckError as exc:
            raise click.ClickException(str(exc)) from exc
        except ValidationError as exc:
            raise click.ClickException(_brief(exc)) from exc

    return run


def _settings(**overrides: Any) -> Settings:
    """Settings from CROSSCHECK_* variables, with the options given on the command line."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise click.UsageError(f"invalid setting: {_brief(exc)}") from exc


@contextmanager
def _core(settings: Settings) -> Iterator[Crosscheck]:
    core = Crosscheck(settings)
    try:
        yield core
    finally:
        core.close()


def _analyser(settings: Settings) -> Analyser:
    """The models alone, for commands that store nothing (compare, judge)."""
    return Analyser(settings)


@contextmanager
def _store(settings: Settings) -> Iterator[Crosscheck]:
    """The core without models: for work on the database alone (API keys)."""
    core = Crosscheck(settings, load_models=False)
    try:
        yield core
    finally:
        core.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crosscheck", message="crosscheck %(version)s")
def main() -> None:
    """crosscheck: which claims of news articles other outlets corroborate, contest, or leave
    single-source."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--demo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of .txt/.html articles to load as the story 'demo' at start-up.",
)
@click.option("--database-url", help="SQLAlchemy URL (default: CROSSCHECK_DATABASE_URL).")
def serve(host: str, port: int, demo: Path | None, database_url: str | None) -> None:
    """Run the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from service.app import create_app

    settings = _settings(demo_dir=demo, database_url=database_url)
    level = settings.log_level.upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(settings, host=host)
    if app.state.keys_required:
        log.info("API keys are required (CROSSCHECK_AUTH=%s, host %s)", settings.auth, host)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())


@main.command()
@click.option(
    "--concurrency",
    "-c",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once (each prefork slot loads its own models).",
)
@click.option(
    "--queues",
    "-Q",
    help="Comma-separated queues to take jobs from (default: CROSSCHECK_JOBS_QUEUE).",
)
@click.option(
    "--pool",
    "-P",
    type=click.Choice(["prefork", "threads", "solo"]),
    default="prefork",
    show_default=True,
    help="prefork: a process per slot; threads: one process, one set of models.",
)
@click.option("--hostname", "-n", help="Node name of the worker (default: celery@HOST).")
@click.option("--database-url", help="SQLAlchemy URL (default: CROSSCHECK_DATABASE_URL).")
@click.option("--broker-url", help="Redis URL of the broker (default: CROSSCHECK_BROKER_URL).")
def worker(
    concurrency: int,
    queues: str | None,
    pool: str,
    hostname: str | None,
    database_url: str | None,
    broker_url: str | None,
) -> None:
    """Run a Celery worker that ingests the jobs queued by POST /v1/articles?wait=false."""
    from service.worker import start_worker

    settings = _settings(database_url=database_url, broker_url=broker_url)
    if settings.broker_url is None:
        raise click.UsageError("no broker: set CROSSCHECK_BROKER_URL or pass --broker-url")
    names = [q.strip() for q in (queues or settings.jobs_queue).split(",") if q.strip()]
    if not names:
        raise click.UsageError("--queues names no queue")
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    start_worker(settings, concurrency, names, pool, hostname)


DATABASE_OPTION = click.option(
    "--database-url", help="SQLAlchemy URL (default: CROSSCHECK_DATABASE_URL)."
)


@main.group()
def keys() -> None:
    """Manage API keys: create (the key is shown once), list, revoke."""


@keys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in Scope]),
    required=True,
    help="read: GET routes; ingest: read and POST articles, compare, judge; admin: everything.",
)
@click.option(
    "--outlet",
    "outlets",
    multiple=True,
    metavar="NAME",
    help="An outlet (name or domain) the key may post articles as; repeat it. Any when absent.",
)
@DATABASE_OPTION
@_input_errors_exit_1
def keys_create(name: str, scope: str, outlets: tuple[str, ...], database_url: str | None) -> None:
    """Create an API key and print it; only its hash is stored, so it is shown this once."""
    if not name.strip():
        raise click.UsageError("NAME must not be empty")
    with _store(_settings(database_url=database_url)) as core:
        key, secret = core.create_key(name.strip(), Scope(scope), outlets)
    click.echo(
        f"created key {key.id} ({key.name}, scope {key.scope.value}); it is shown only now:",
        err=True,
    )
    click.echo(secret)


@keys.command("list")
@DATABASE_OPTION
@_input_errors_exit_1
def keys_list(database_url: str | None) -> None:
    """List the keys (never their secrets): id, name, scope, outlets, created, last used,
    revoked."""
    with _store(_settings(database_url=database_url)) as core:
        listed = core.list_keys()
    click.echo("\t".join(("id", "name", "scope", "outlets", "created", "last_used", "revoked")))
    for key in listed:
        click.echo(_key_row(key))


@keys.command("revoke")
@click.argument("key_id", metavar="ID")
@DATABASE_OPTION
@_input_errors_exit_1
def keys_revoke(key_id: str, database_url: str | None) -> None:
    """Revoke a key by its id: requests with it answer 401 from now on."""
    with _store(_settings(database_url=database_url)) as core:
        key = core.revoke_key(key_id)
    click.echo(f"revoked key {key.id} ({key.name})")


@main.group()
def jobs() -> None:
    """Manage queued ingests (POST /v1/articles?wait=false)."""


@jobs.command("resend")
@click.option(
    "--older-than",
    "older_than",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Only jobs recorded at least this long ago (default: the broker's visibility "
    "timeout, after which it would have handed a live message out again itself).",
)
@DATABASE_OPTION
@_input_errors_exit_1
def jobs_resend(older_than: float | None, database_url: str | None) -> None:
    """Send again to the broker the jobs still queued or running after a lost message (a
    broker that lost its data, an API stopped between recording a job and sending it). A
    job sent twice stores nothing twice."""
    settings = _settings(database_url=database_url)
    if settings.broker_url is None:
        raise click.UsageError(
            "no broker is configured (CROSSCHECK_BROKER_URL): without one, the API runs the "
            "jobs a stopped process left behind when it starts again"
        )
    wait = settings.broker_visibility_timeout_seconds if older_than is None else older_than
    with _store(settings) as core:
        sent = core.resend_jobs(wait)
    for job_id in sent:
        click.echo(job_id)
    click.echo(f"sent {len(sent)} jobs again", err=True)


def _key_row(key: ApiKeyPublic) -> str:
    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "-"

    outlets = ",".join(key.outlets) or "any"
    cells = (
        key.id,
        key.name,
        key.scope.value,
        outlets,
        when(key.created_at),
        when(key.last_used_at),
        when(key.revoked_at),
    )
    return "\t".join(cells)


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Outlet of each file, in order (repeat it); the file name's stem when missing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_input_errors_exit_1
def compare(files: tuple[Path, ...], sources: tuple[str, ...], as_json: bool) -> None:
    """Compare text or HTML files claim by claim; stores nothing."""
    if len(sources) > len(files):
        raise click.UsageError(f"{len(sources)} --source names for {len(files)} files")
    names: list[str | None] = [*sources, *[None] * (len(files) - len(sources))]
    articles = [read_article(path, source=name) for path, name in zip(files, names, strict=True)]
    # compare stores nothing: the analyser alone, no database opened.
    report = _analyser(_settings()).compare(articles)
    click.echo(report.model_dump_json(indent=2) if as_json else format_report(report))


def _wrapped(text: str, first: int, rest: int) -> str:
    """`text` filled to the report's width, its first line indented by `first` spaces and the
    others by `rest`."""
    return textwrap.fill(text, WIDTH, initial_indent=" " * first, subsequent_indent=" " * rest)


def format_report(report: CompareReport) -> str:
    """The compare report as text: per article, each claim with its verdict and evidence."""
    story = report.story
    lines = [
        f"{story.articles} articles from {story.origins} origins, {story.claims} claims: "
        f"{story.corroborated} corroborated, {story.contested} contested, "
        f"{story.single_source} single-source",
        "[+] corroborated   [!] contested   [ ] single-source",
    ]
    for article in report.articles:
        title = f" — {article.title}" if article.title else ""
        lines += ["", f"== {article.source}{title} ({len(article.claims)} claims)"]
        for claim in article.claims:
            claim_line = f"{MARKERS[claim.verdict]} {claim.text} [{claim.start}:{claim.end}]"
            lines.append(_wrapped(claim_line, 0, 4))
            if claim.reads:
                lines.append(_wrapped(f"compared as “{claim.reads}”", 6, 7))
            for ev in claim.evidence:
                lines.append(
                    f"      {ev.relation.value} · {ev.source} · {ev.reason.value} · "
                    f"score {ev.score:.2f}"
                )
                lines.append(_wrapped(f"“{ev.text}”", 8, 9))
                if ev.explanation:
                    lines.append(_wrapped(ev.explanation, 8, 8))
    return "\n".join(lines)


BATCH = 32
"""Rows submitted or judged together by `ingest` and `judge` (at most settings.max_batch)."""

Row = tuple[str, ArticleIn | InputError]


def _progress(desc: str, unit: str, total: int | None = None) -> tqdm[Any]:
    """A progress bar on standard error (standard output carries the results)."""
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, unit_scale=unit == "B")


def _jsonl_rows(path: Path, bar: tqdm[Any]) -> Iterator[Row]:
    """Each non-blank row of a JSONL (or .jsonl.gz) file as an article, or the error that
    makes it unusable, labelled `file:line`; read as they are needed (any number of rows).

    Raises:
        InputError: the file cannot be read, or is not UTF-8 text.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                bar.update(len(raw))
                label = f"{path.name}:{number}"
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    yield label, InputError(f"line {number}: not UTF-8 text")
                    continue
                if not line.strip():
                    continue
                try:
                    yield label, ArticleIn.model_validate_json(line)
                except ValidationError as exc:
                    yield label, InputError(f"line {number}: {_brief(exc)}")
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: {exc}") from exc


def _directory_rows(directory: Path, bar: tqdm[Any]) -> Iterator[Row]:
    """The articles of a directory's .txt and .html files, labelled by file name."""
    for path in article_files(directory):
        bar.update(1)
        try:
            yield path.name, read_article(path)
        except InputError as exc:
            yield path.name, exc


def _batches(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last one shorter)."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--database-url", help="SQLAlchemy URL (default: CROSSCHECK_DATABASE_URL).")
@click.option(
    "--batch-size",
    default=BATCH,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Articles stored together (at most CROSSCHECK_MAX_BATCH).",
)
@_input_errors_exit_1
def ingest(path: Path, database_url: str | None, batch_size: int) -> None:
    """Store articles from a JSONL file or a directory of files, any number of them.

    JSONL rows take the fields of POST /v1/articles; a directory's .txt and .html files take
    their source from the file name. A bad row is reported by its line on standard error and
    the others are stored; the exit code is 1 if any row was rejected.
    """
    settings = _settings(database_url=database_url)
    created = stored = rejected = 0
    with _core(settings) as core:
        if path.is_dir():
            bar = _progress("ingest", "file", total=len(article_files(path)))
            rows = _directory_rows(path, bar)
        else:
            size = None if path.suffix == ".gz" else path.stat().st_size
            bar = _progress("ingest", "B", total=size)
            rows = _jsonl_rows(path, bar)
        with bar:
            for batch in _batches(rows, min(batch_size, settings.max_batch)):
                good = [(label, row) for label, row in batch if isinstance(row, ArticleIn)]
                outcomes = core.submit_each([row for _, row in good]) if good else []
                errors = [(label, row) for label, row in batch if isinstance(row, InputError)]
                for (label, _), outcome in zip(good, outcomes, strict=True):
                    if isinstance(outcome, InputError):
                        errors.append((label, outcome))
                    elif outcome.created:
                        created += 1
                    else:
                        stored += 1
                for label, error in sorted(errors, key=lambda e: _line_of(e[0])):
                    # One unusable row does not stop the rest; it is counted and named.
                    rejected += 1
                    tqdm.write(f"{label}: rejected: {error}", file=sys.stderr)
    if not created + stored + rejected:
        raise InputError(f"{path}: no articles found")
    click.echo(f"created {created}, already stored {stored}, rejected {rejected}")
    if rejected:
        raise click.ClickException(
            f"{rejected} of {created + stored + rejected} articles were rejected"
        )


def _line_of(label: str) -> int:
    tail = label.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _read_pairs(handle: IO[str]) -> Iterator[JudgePairIn]:
    """Rows of a `claim<TAB>evidence` file, header first, read as they are needed.

    Raises:
        InputError: the header is missing or a row is malformed (naming its line).
    """
    lines = iter(enumerate(handle, start=1))
    header = next(lines, None)
    fields = header[1].lstrip("\ufeff").rstrip("\r\n").split("\t") if header else []
    if [f.strip().lower() for f in fields] != ["claim", "evidence"]:
        raise InputError("line 1: expected the header 'claim<TAB>evidence'")
    for number, line in lines:
        row = line.rstrip("\r\n")
        if not row.strip():
            continue
        cells = row.split("\t")
        if len(cells) != 2 or not all(c.strip() for c in cells):
            raise InputError(
                f"line {number}: expected two non-empty tab-separated fields, got {len(cells)}"
            )
        try:
            yield JudgePairIn(claim=cells[0].strip(), evidence=cells[1].strip())
        except ValidationError as exc:
            raise InputError(f"line {number}: {_brief(exc)}") from exc


@main.command()
@click.argument("pairs_file", metavar="PAIRS.tsv", type=click.File("r", encoding="utf-8"))
@click.option(
    "--batch-size",
    default=BATCH,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Pairs judged together (at most CROSSCHECK_MAX_BATCH).",
)
@_input_errors_exit_1
def judge(pairs_file: IO[str], batch_size: int) -> None:
    """Judge claim/evidence pairs of a TSV file ('-': stdin), any number of them.

    The file starts with the header `claim<TAB>evidence`; the output has one line per row,
    `relation<TAB>probability<TAB>reason`, in input order, printed batch by batch. A
    malformed row stops the command (exit 1) after the rows before it.
    """
    pairs = _read_pairs(pairs_file)
    try:
        first = list(itertools.islice(pairs, 1))
    except UnicodeDecodeError as exc:
        raise InputError(f"{pairs_file.name}: not UTF-8 text") from exc
    if not first:
        return
    analyser = _analyser(_settings())  # judging stores nothing: no database opened
    with _progress("judge", "pair") as bar:
        try:
            for batch in _batches(
                itertools.chain(first, pairs), min(batch_size, analyser.settings.max_batch)
            ):
                for item in analyser.judge(batch).data:
                    click.echo(
                        f"{item.relation.value}\t{item.probability:.4f}\t{item.reason.value}"
                    )
                bar.update(len(batch))
        except UnicodeDecodeError as exc:
            raise InputError(f"{pairs_file.name}: not UTF-8 text") from exc


if __name__ == "__main__":
    main()
