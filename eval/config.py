"""Named evaluation configurations: built-in names and YAML files (``eval/configs/*.yaml``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from rag.retrieve.query import MODES

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
BASELINE = "langchain-faiss"
PARAGRAPH_BASELINE = "naive-paragraphs"  # the same store, one vector per paragraph (eval/baseline.py)


@dataclass(frozen=True)
class EvalConfig:
    name: str
    mode: str = "hybrid"
    rerank: bool = False
    model: str | None = None  # None: the run's model (--model / RAG_MODEL)
    index_type: str | None = None  # None: the settings' index type

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


BUILTIN: dict[str, EvalConfig] = {
    "dense": EvalConfig("dense", mode="dense"),
    "lexical": EvalConfig("lexical", mode="lexical"),
    "hybrid": EvalConfig("hybrid", mode="hybrid"),
    "default": EvalConfig("default", mode="hybrid", rerank=True),
}
DEFAULT_CONFIGS = ("dense", "lexical", "hybrid", "default")


def config_from_dict(data: dict[str, Any], *, name: str) -> EvalConfig:
    allowed = set(EvalConfig.__dataclass_fields__)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"config {name!r}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    cfg = EvalConfig(**{"name": name, **data})
    if cfg.mode not in MODES:
        raise ValueError(f"config {cfg.name!r}: mode must be one of {MODES}, not {cfg.mode!r}")
    if cfg.name in (BASELINE, PARAGRAPH_BASELINE):
        raise ValueError(f"config name {cfg.name!r} is reserved for a LangChain baseline; rename it")
    return cfg


def load_config(name_or_path: str) -> EvalConfig:
    """A built-in name, the stem of a file in eval/configs/, or a path to a YAML file."""
    path = Path(name_or_path)
    if not path.suffix and (CONFIG_DIR / f"{name_or_path}.yaml").is_file():
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ValueError(f"config file {path} not found")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a config file must be a YAML mapping (name, mode, rerank, …)")
        return config_from_dict(data, name=str(data.pop("name", path.stem)))
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]
    raise ValueError(
        f"unknown config {name_or_path!r}: use one of {sorted(BUILTIN)}, a file in {CONFIG_DIR}, or a YAML path"
    )
