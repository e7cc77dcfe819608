"""The `rag` command: a thin face over `rag.service.RagService`.

The library raises `RagError`s; this module turns them into one-line messages and exit codes.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rag.cli_common import IndexOpt, ModelOpt, cli_settings, echo_json, fail
from rag.cli_index import index_app, model_app
from rag.errors import InputError, RagError

if TYPE_CHECKING:  # imported where used: `rag --help` and `rag parse` stay light (no pydantic-settings)
    from rag.types import SearchResult

app = typer.Typer(
    help="Semantic question answering over Japanese government meeting minutes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")

@app.callback()
def _main(verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log progress.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A minutes file (PDF, text, .docx, HTML or the Diet's API JSON).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the parsed record as JSON.")] = False,
) -> None:
    """Parse one minutes file and print its meeting, topics and remarks."""
    from rag.parse import parse_file, to_json

    try:
        doc = parse_file(file)
    except RagError as exc:
        raise fail(exc) from exc
    if as_json:
        echo_json(to_json(doc))
        return
    m = doc.meeting
    typer.echo(f"{m.title}  第{m.session}回  {m.date}  {m.place or ''}")
    typer.echo(f"attendees: {len(m.attendees)}, topics: {len(doc.topics)}, remarks: {len(doc.remarks)}")
    for r in doc.remarks:
        who = f"{r.speaker or ''}{r.role or ''}" or "○"
        typer.echo(f"[{r.ordinal:>3}] p{','.join(map(str, r.pages))} {who}: {r.text[:60]}…")
    from rag.parse.summary import speaker_warning, summary_lines

    typer.echo("--")
    for line in summary_lines(doc):
        typer.echo(line)
    warning = speaker_warning(doc)
    if warning:
        typer.echo(warning, err=True)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Minutes files or folders.")],
    index: IndexOpt = None,
    model: ModelOpt = None,
    parse_only: Annotated[bool, typer.Option("--parse-only", help="Parse and report, index nothing.")] = False,
) -> None:
    """Parse, embed and index minutes; one bad file does not stop the others."""
    if parse_only:
        raise typer.Exit(_parse_all(paths))
    from rag.service import RagService

    svc = RagService(cli_settings(index, model))
    try:
        report = svc.ingest(paths, progress=sys.stderr.isatty())
    except RagError as exc:
        raise fail(exc) from exc
    finally:
        svc.close()  # writes a lagging vectors.faiss now rather than at the next open
    for reason in report.skipped.values():
        typer.secho(f"note: {reason}", fg=typer.colors.YELLOW, err=True)
    for reason in report.failed.values():
        typer.secho(f"error: {reason}", fg=typer.colors.RED, err=True)
    typer.echo(
        f"added {len(report.added)}, unchanged {len(report.unchanged)}, replaced {len(report.replaced)}, "
        f"skipped {len(report.skipped)}, failed {len(report.failed)} · meetings {len(report.added) + len(report.replaced)}, "
        f"topics {report.topics}, remarks {report.remarks} · index {svc.settings.index_dir}"
    )
    raise typer.Exit(1 if report.failed else 0)


def _parse_all(paths: list[Path]) -> int:
    from tqdm import tqdm

    from rag.parse import parse_file
    from rag.service import iter_minutes_files

    files, failed = iter_minutes_files(paths)
    meetings = topics = remarks = 0
    for path in tqdm(files, desc="parse", unit="file", disable=not sys.stderr.isatty()):
        try:
            doc = parse_file(path)
        except RagError as exc:
            failed[str(path)] = str(exc)
            continue
        meetings += 1
        topics += len(doc.topics)
        remarks += len(doc.remarks)
    for reason in failed.values():
        typer.secho(f"error: {reason}", fg=typer.colors.RED, err=True)
    typer.echo(f"meetings {meetings}, topics {topics}, remarks {remarks}, failures {len(failed)}")
    return 1 if failed else 0


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="A question in Japanese or English.")],
    index: IndexOpt = None,
    model: ModelOpt = None,
    k: Annotated[int, typer.Option("-k", help="How many remarks to return.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    mode: Annotated[str | None, typer.Option(help="dense | lexical | hybrid")] = None,
    rerank: Annotated[bool | None, typer.Option("--rerank/--no-rerank")] = None,
    date_from: Annotated[str | None, typer.Option("--date-from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--date-to", help="YYYY-MM-DD")] = None,
    speaker: Annotated[str | None, typer.Option(help="Speaker name or role.")] = None,
    topic: Annotated[str | None, typer.Option(help="Topic title (part of it) or number.")] = None,
    meeting: Annotated[str | None, typer.Option(help="Meeting title or body (part of it).")] = None,
    document: Annotated[str | None, typer.Option(help="Document id.")] = None,
) -> None:
    """Rank the remarks that answer a question, with citations."""
    from rag.service import RagService
    from rag.types import Filters

    filters = Filters(
        meeting=meeting, date_from=date_from, date_to=date_to, topic=topic, speaker=speaker, document=document
    )
    svc = RagService(cli_settings(index, model))
    try:
        result = svc.search(question, k=k, filters=filters, mode=mode, rerank=rerank)
    except RagError as exc:
        raise fail(exc) from exc
    if as_json:
        echo_json(result_to_json(result))
    else:
        _print_result(result)


def result_to_json(result: SearchResult) -> dict[str, Any]:
    return {
        "question": result.question,
        "answerable": result.answerable,
        "model": result.model,
        "hits": [asdict(h) for h in result.hits],
        "timings_ms": result.timings_ms,
    }


def _print_result(result: SearchResult) -> None:
    if not result.answerable:
        typer.secho("No remark in the index answers this question (answerable: false).", fg=typer.colors.YELLOW)
        if result.hits:
            typer.echo("Closest remarks, not evidence:")
    for rank, hit in enumerate(result.hits, 1):
        c = hit.citation
        pages = ",".join(map(str, c.pages)) or "-"
        typer.secho(
            f"{rank}. [{hit.confidence:.2f}] {c.title} 第{c.session}回 {c.date or ''} · {c.topic or ''} · "
            f"{c.speaker or '発言者名なし'} · p.{pages} · score {hit.score:.3f}",
            bold=True,
        )
        text = hit.text
        for h in sorted(hit.highlights, key=lambda h: h.start, reverse=True):
            text = text[: h.start] + typer.style(text[h.start : h.end], fg=typer.colors.GREEN) + text[h.end :]
        typer.echo(f"   {text}\n")


@app.command()
def brief(
    questions_file: Annotated[
        Path | None, typer.Argument(help="Questions: plain lines, YAML or JSON.", show_default=False)
    ] = None,
    question: Annotated[list[str] | None, typer.Option("-q", "--question", help="A question (repeatable).")] = None,
    lang: Annotated[str, typer.Option(help="Labels and headings: ja | en.")] = "ja",
    fmt: Annotated[str | None, typer.Option("--format", help="md | docx | json (default: from -o, else md).")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write here (default: standard output).")] = None,
    k: Annotated[int, typer.Option("-k", help="Evidence per question.")] = 5,
    index: IndexOpt = None,
    model: ModelOpt = None,
    context: Annotated[
        int, typer.Option("--context", help="Also quote N remarks before and after each quote, as context.")
    ] = 0,
) -> None:
    """Build an evidence pack for a briefing: each question with its cited remarks."""
    from rag.brief import build_pack, format_for_path, load_questions, render
    from rag.service import RagService

    try:
        questions = list(question or [])
        if questions_file is not None:
            questions = load_questions(questions_file) + questions
        if not questions:
            raise InputError("give a questions file or at least one -q QUESTION")
        chosen = fmt or (format_for_path(out) if out is not None else "md")
        if chosen == "docx" and out is None:
            raise InputError("a .docx pack is binary: write it to a file with -o brief.docx")
        pack = build_pack(RagService(cli_settings(index, model)), questions, k=k, lang=lang, context=context)
        data = render(pack, chosen)
    except RagError as exc:
        raise fail(exc) from exc
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        out.write_bytes(data)
        typer.echo(f"wrote {out} ({len(pack.questions)} questions, {len(pack.evidence)} remarks quoted)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Start the HTTP API and the web page."""
    from api.preload import Preload
    from rag.service import RagService

    settings = cli_settings(index, model, host=host, port=port)
    preload = Preload(RagService(settings))  # the index loads while the web stack is imported
    from api.main import run

    typer.echo(f"minutes-rag: serving on http://{settings.host}:{settings.port}/ (index {settings.index_dir})")
    run(settings.host, settings.port, settings, preload=preload)


@app.command()
def show(
    remark_id: Annotated[str, typer.Argument(help="Remark id DOC#N (or DOC:N).")],
    context: Annotated[int, typer.Option("--context", "-c", help="Remarks before and after it (0..20).")] = 2,
    before: Annotated[int | None, typer.Option(help="Remarks before it (default: --context).")] = None,
    after: Annotated[int | None, typer.Option(help="Remarks after it (default: --context).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON of GET /remarks/{id}.")] = False,
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Print a remark with its neighbours in the minutes (the hit marked ▶), each with its citation."""
    from rag.context import context_to_json
    from rag.service import RagService

    svc = RagService(cli_settings(index, model))
    try:
        ctx = svc.remark_context(
            remark_id, context if before is None else before, context if after is None else after
        )
        source = f"/documents/{ctx.doc.document}/source" if svc.has_source(ctx.doc.document) else None
        data = context_to_json(ctx, source=source)
    except RagError as exc:
        raise fail(exc) from exc
    if as_json:
        echo_json(data)
        return
    meeting = data["meeting"]
    typer.secho(f"{meeting['title']} · {meeting['date'] or ''} · {data['document']}", bold=True)
    start = data["topic_start"]
    typer.echo(f"論点 / agenda item: {data['topic'] or '-'} (starts at {start['remark_id']})\n")
    for item in data["remarks"]:
        pages = ",".join(map(str, item["pages"])) or "-"
        who = item["speaker"] or item["role"] or "発言者名なし"
        mark = "▶" if item["is_hit"] else " "
        line = f"{mark} {item['remark_id']} · {who} · {item['topic'] or '-'} · p.{pages}"
        typer.secho(line, bold=item["is_hit"], fg=typer.colors.GREEN if item["is_hit"] else None)
        typer.echo(f"    {item['text']}\n")


def _register_eval() -> None:
    """`rag eval` lives with the evaluation code in eval/; its module imports its heavy parts lazily."""
    from eval.cli import register as register_eval

    register_eval(app)


_register_eval()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
