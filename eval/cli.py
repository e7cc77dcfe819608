"""`rag eval`: run a dataset through configurations and write JSON / Markdown / PNG reports.

Registered on the `rag` typer app by ``register(app)``; heavy imports happen inside the command.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

logger = logging.getLogger(__name__)

REPORTS_DIR = Path("eval/reports")


def _default_json(dataset_name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return REPORTS_DIR / f"{dataset_name}-{stamp}.json"


def eval_command(
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", "-d", help="Folder (questions.jsonl or BEIR corpus.jsonl), jsquad:PATH or "
                     "ntrex:EN_PATH,JA_PATH."),
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", "-c", help="Configuration name or YAML file; repeat. Default: dense, lexical, "
                     "hybrid, default."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Report JSON (default eval/reports/<dataset>-<time>.json).")] = None,
    md_out: Annotated[Path | None, typer.Option("--md", help="Markdown report (default: beside --json).")] = None,
    png_out: Annotated[Path | None, typer.Option("--png", help="Bar chart (default: beside --json).")] = None,
    runs_out: Annotated[Path | None, typer.Option("--runs", help="Also write the raw runs {config: {qid: {doc: score}}}.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Embedding model (default RAG_MODEL).")] = None,
    minutes: Annotated[
        list[Path] | None, typer.Option("--minutes", help="Minutes files for a minutes-native set (overrides dataset.yaml).")
    ] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only questions of this split (dev | test).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N questions.")] = None,
    k: Annotated[int, typer.Option("--k", help="Hits retrieved per question.")] = 100,
    index_dir: Annotated[Path | None, typer.Option("--index-dir", help="Keep the evaluation indexes here (default: a temporary folder).")] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Skip the LangChain FAISS baseline.")] = False,
    paragraph_baseline: Annotated[
        bool, typer.Option("--paragraph-baseline", help="Also run the naive baseline with one vector per paragraph.")
    ] = False,
    fake: Annotated[bool, typer.Option("--fake", help="Use the bigram stand-in instead of RagService (dry run).")] = False,
    compare_reports: Annotated[
        tuple[Path, Path] | None, typer.Option("--compare", help="Compare two report JSONs (A B) and exit.")
    ] = None,
) -> None:
    """Evaluate retrieval on a dataset; prints the Markdown summary and writes the reports."""
    if compare_reports is not None and compare_reports[0] is not None:
        from eval.compare import compare, format_comparison

        try:
            rows = compare(compare_reports[0], compare_reports[1])
        except ValueError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        typer.echo(format_comparison(rows))
        return
    if dataset is None:
        typer.secho("error: give --dataset (or --compare A.json B.json)", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    from eval.config import DEFAULT_CONFIGS, load_config
    from eval.dataset import load_dataset
    from eval.report import write_json, write_markdown, write_png, write_reliability_png
    from eval.runner import run_eval
    from rag.errors import RagError

    try:
        ds = load_dataset(dataset, minutes=minutes).subset(split=split, limit=limit)
        configs = [load_config(c) for c in (config or DEFAULT_CONFIGS)]
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    kwargs = {}
    if fake:
        from eval.testing import FakeService

        kwargs = {"service_factory": FakeService, "embedder_factory": lambda s, svc: svc.embedder}
    try:
        result = run_eval(ds, configs, model=model, index_root=index_dir, k=k, baseline=not no_baseline,
                          paragraph_baseline=paragraph_baseline, progress=sys.stderr.isatty(), **kwargs)  # type: ignore[arg-type]
    except (RagError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    result.report["dataset"]["split"] = split
    result.report["dataset"]["limit"] = limit
    json_path = json_out or _default_json(ds.name)
    write_json(result.report, json_path)
    md_path = write_markdown(result.report, md_out or json_path.with_suffix(".md"))
    png_path = write_png(result.report, png_out or json_path.with_suffix(".png"))
    reliability_png = write_reliability_png(result.report, png_path.with_name(png_path.stem + "-reliability.png"))
    if runs_out is not None:
        write_json({"configs": result.runs}, runs_out)
    typer.echo(md_path.read_text(encoding="utf-8"))
    extra = f", {reliability_png}" if reliability_png else ""
    typer.echo(f"wrote {json_path}, {md_path}, {png_path}{extra}", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to the ``rag`` app."""
    app.command("eval")(eval_command)
