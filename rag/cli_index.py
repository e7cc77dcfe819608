"""`rag index …` and `rag model …`: inspect, edit, check and migrate the index; build the model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rag.cli_common import IndexOpt, ModelOpt, cli_settings, echo_json, fail
from rag.errors import InputError, RagError

index_app = typer.Typer(help="Inspect and edit the index.", no_args_is_help=True)
model_app = typer.Typer(help="The embedding model.", no_args_is_help=True)


@index_app.command("info")
def index_info(index: IndexOpt = None, model: ModelOpt = None) -> None:
    """Show the manifest and counts of the index."""
    from rag.service import RagService

    try:
        echo_json(RagService(cli_settings(index, model)).info())
    except RagError as exc:
        raise fail(exc) from exc


@index_app.command("ls")
def index_ls(
    index: IndexOpt = None,
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the indexed documents (id, date, meeting, remarks)."""
    from rag.service import RagService

    svc = RagService(cli_settings(index, model))
    try:
        svc.info()  # refuses an index that does not exist instead of creating one
        docs = svc.documents()
    except RagError as exc:
        raise fail(exc) from exc
    if as_json:
        echo_json(docs)
        return
    for d in docs:
        typer.echo(f"{d['document']}\t{d.get('date') or '-'}\t{d.get('title') or ''}\t{d.get('remarks', 0)} remarks")


@index_app.command("rm")
def index_rm(
    document: Annotated[str, typer.Argument(help="Document id (file name without extension).")],
    index: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Delete one document, its remarks and its stored source PDF from the index."""
    from rag.service import RagService

    try:
        RagService(cli_settings(index, model)).delete(document)
    except RagError as exc:
        raise fail(exc) from exc
    typer.echo(f"deleted {document}")


@index_app.command("verify")
def index_verify(index: IndexOpt = None) -> None:
    """Check that every vector has its row and the reverse."""
    from index import verify

    settings = cli_settings()
    if settings.store and index is None:  # RAG_STORE: the Milvus store
        from index.milvus_verify import verify_milvus

        problems = verify_milvus(settings.store)
    else:
        problems = verify(Path(index or settings.index_dir))
    for p in problems:
        typer.secho(p, fg=typer.colors.RED, err=True)
    typer.echo("ok" if not problems else f"{len(problems)} problem(s)")
    raise typer.Exit(1 if problems else 0)


@index_app.command("migrate")
def index_migrate(
    to: Annotated[str, typer.Option("--to", help="Milvus store: milvus://host:19530, http://host:port or PATH.db.")],
    index: IndexOpt = None,
) -> None:
    """Copy the embedded index into a Milvus store, vectors included (no re-embedding)."""
    from index.migrate import migrate

    try:
        report = migrate(Path(index or cli_settings().index_dir), to)
    except RagError as exc:
        raise fail(exc) from exc
    except ValueError as exc:
        raise fail(InputError(str(exc))) from exc
    typer.echo(
        f"migrated to {to}: added {len(report.added)}, replaced {len(report.replaced)}, "
        f"unchanged {len(report.unchanged)}, chunks {report.chunks}, source PDFs {report.sources}"
    )


@model_app.command("materialize")
def model_materialize(model: ModelOpt = None) -> None:
    """Build (once) and load the embedding model, so later starts work offline."""
    from rag.embed import load_embedder

    try:
        emb = load_embedder(cli_settings(model=model))
    except RagError as exc:
        raise fail(exc) from exc
    typer.echo(f"{emb.model_id} ready (dim {emb.dim}, fingerprint {emb.fingerprint[:12]})")
