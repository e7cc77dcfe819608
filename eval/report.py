"""Write an evaluation report as JSON, Markdown (tables per language) and a PNG bar chart."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import HEADLINE

logger = logging.getLogger(__name__)

TABLE_METRICS = ("ndcg@10", "mrr@10", "hit@1", "recall@1", "recall@5", "recall@10", "recall@100")


def write_json(report: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path


def load_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read report {path}: {exc}") from exc
    if "configs" not in data:
        raise ValueError(f"{path} is not an evaluation report (no 'configs'); make one with `rag eval --json`")
    return data


def _cell(block: dict[str, Any], metric: str) -> str:
    value = block.get("metrics", {}).get(metric)
    if value is None:
        return "–"
    ci = block.get("ci", {}).get(metric)
    if not ci:
        return f"{value:.3f}"
    return f"{value:.3f} ±{(ci[1] - ci[0]) / 2:.3f}"


def _table(rows: list[tuple[str, dict[str, Any]]], metrics: Sequence[str]) -> list[str]:
    lines = ["| config | n | " + " | ".join(metrics) + " |", "|---|---:|" + "---:|" * len(metrics)]
    for name, block in rows:
        cells = " | ".join(_cell(block, m) for m in metrics)
        lines.append(f"| {name} | {block.get('n_ranked', 0)} | {cells} |")
    return lines


def _fmt(v: Any, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def to_markdown(report: dict[str, Any]) -> str:
    ds, configs = report["dataset"], report["configs"]
    out = [
        f"# Retrieval evaluation: {ds['name']}",
        "",
        f"- dataset: `{ds['source']}` ({ds['kind']}, {ds['n_queries']} questions, {ds['n_ranked']} with gold, "
        f"{ds['n_unanswerable']} unanswerable), hash `{ds['hash'][:12]}`",
        f"- model: `{report['model']['id']}` (fingerprint `{(report['model']['fingerprint'] or '–')[:12]}`)",
        f"- commit: `{report['git_commit'] or 'unknown'}`, created {report['created_at']}",
        f"- values are means over questions with gold; ± is half the width of the bootstrap 95% CI "
        f"({report['protocol']['bootstrap']['n_resamples']} resamples)",
        "",
        "## All questions",
        "",
        *_table([(n, c) for n, c in configs.items()], TABLE_METRICS),
    ]
    for lang in ds["languages"]:
        out += ["", f"## Language: {lang}", ""]
        out += _table([(n, c["by_lang"][lang]) for n, c in configs.items()], TABLE_METRICS)
    types = list(ds["types"])
    if len(types) > 1:
        out += ["", "## By question type (nDCG@10 / hit@1)", "", "| config | " + " | ".join(types) + " |",
                "|---|" + "---:|" * len(types)]
        for name, c in configs.items():
            cells = []
            for t in types:
                m = c["by_type"][t]["metrics"]
                cells.append("–" if m.get("ndcg@10") is None else f"{m['ndcg@10']:.3f} / {m['hit@1']:.3f}")
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    abst = [(n, c["abstention"]) for n, c in configs.items() if c.get("abstention")]
    if abst:
        out += ["", "## Abstention (answerable = False)", "",
                "| config | precision | recall | F1 | false abstention | abstained | unanswerable |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name, a in abst:
            out.append(f"| {name} | {_fmt(a['precision'])} | {_fmt(a['recall'])} | {_fmt(a['f1'])} | "
                       f"{_fmt(a['false_abstention_rate'])} | {a['n_abstained']} | {a['n_unanswerable']} |")
    calib = [(n, c) for n, c in configs.items() if c.get("confidence")]
    if calib:
        langs = sorted({lg for _, c in calib for lg in c.get("confidence_by_lang", {})})
        out += ["", "## Confidence of the top hit (ECE, equal-width bins; reliability diagram in the PNG beside)", "",
                "| config | ECE | n | " + " | ".join(f"ECE {lg}" for lg in langs) + " |",
                "|---|---:|---:|" + "---:|" * len(langs)]
        for name, c in calib:
            by = c.get("confidence_by_lang", {})
            out.append(f"| {name} | {_fmt(c['confidence']['ece'])} | {c['confidence']['n']} | "
                       + " | ".join(_fmt(by.get(lg, {}).get("ece")) for lg in langs) + " |")
    out += ["", "## Latency per stage (ms, p50 / p95)", ""]
    stages = sorted({s for c in configs.values() for s in c["latency_ms"]})
    out += ["| config | " + " | ".join(stages) + " |", "|---|" + "---:|" * len(stages)]
    for name, c in configs.items():
        lat = c["latency_ms"]
        out.append(f"| {name} | " + " | ".join(
            f"{lat[s]['p50']:.1f} / {lat[s]['p95']:.1f}" if s in lat else "–" for s in stages) + " |")
    sig = [r for r in report.get("significance", []) if r["scope"] == "all"]
    if sig:
        out += ["", "## Paired t-tests (all questions; delta = b − a, * = p < "
                f"{report['protocol']['alpha']})", "", "| a | b | " + " | ".join(HEADLINE) + " |",
                "|---|---|" + "---:|" * len(HEADLINE)]
        pairs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for r in sig:
            pairs.setdefault((r["a"], r["b"]), {})[r["metric"]] = r
        for (a, b), per in pairs.items():
            cells = []
            for m in HEADLINE:
                r = per.get(m)
                if not r or r["delta"] is None:
                    cells.append("–")
                    continue
                star = "*" if r["significant"] else ""
                cells.append(f"{r['delta']:+.3f}{star} (p={_fmt(r['p_value'])})")
            out.append(f"| {a} | {b} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def write_markdown(report: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_markdown(report), encoding="utf-8")
    return path


def write_reliability_png(report: dict[str, Any], path: Path) -> Path | None:
    """Reliability diagram: per configuration with a confidence, accuracy against mean confidence per bin."""
    calib = {n: c["confidence"] for n, c in report["configs"].items() if c.get("confidence") and c["confidence"]["bins"]}
    if not calib:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    for name, rel in calib.items():
        xs = [b["confidence"] for b in rel["bins"]]
        ys = [b["accuracy"] for b in rel["bins"]]
        ax.plot(xs, ys, marker="o", label=f"{name} (ECE {rel['ece']:.3f})")
    ax.set_xlabel("confidence of the top hit")
    ax.set_ylabel("share of top hits that answer")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{report['dataset']['name']}: reliability")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_png(report: dict[str, Any], path: Path, metrics: Sequence[str] = HEADLINE) -> Path:
    """Grouped bars (one group per metric, one bar per configuration, CI whiskers); a panel per language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    configs = report["configs"]
    panels = [("all", {n: c for n, c in configs.items()})]
    panels += [(lg, {n: c["by_lang"][lg] for n, c in configs.items()}) for lg in report["dataset"]["languages"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False, sharey=True)
    width = 0.8 / max(len(configs), 1)
    x = np.arange(len(metrics))
    for ax, (title, blocks) in zip(axes[0], panels, strict=True):
        for i, (name, block) in enumerate(blocks.items()):
            vals = [block["metrics"].get(m) or 0.0 for m in metrics]
            cis = [block["ci"].get(m) for m in metrics]
            err = np.array([[v - c[0] if c else 0.0 for v, c in zip(vals, cis, strict=True)],
                            [c[1] - v if c else 0.0 for v, c in zip(vals, cis, strict=True)]])
            ax.bar(x + i * width - 0.4 + width / 2, vals, width, yerr=np.clip(err, 0, None), capsize=2, label=name)
        ax.set_xticks(x, list(metrics))
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{report['dataset']['name']} — {title}")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
