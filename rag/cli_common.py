"""What the `rag` command's modules share: options, settings, and turning a `RagError` into an exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rag.errors import IndexStoreError, InputError, ModelError, NotFoundError, ParseError, RagError

if TYPE_CHECKING:
    from rag.settings import Settings

EXIT_CODES: dict[type[RagError], int] = {
    InputError: 2,
    NotFoundError: 3,
    ParseError: 4,
    IndexStoreError: 5,
    ModelError: 6,
}

IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="Index directory (default: RAG_INDEX_DIR or data/index).")
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Embedding model: bundled default, a model id or a local path.")
]


def cli_settings(index: Path | None = None, model: str | None = None, **extra: Any) -> Settings:
    from rag.settings import get_settings

    update: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if index is not None:
        update["index_dir"] = index
    if model is not None:
        update["model"] = model
    return get_settings().model_copy(update=update)


def fail(exc: RagError) -> typer.Exit:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
    return typer.Exit(code)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
