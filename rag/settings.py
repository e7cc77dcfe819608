"""The one place configuration comes from: environment variables with the ``RAG_`` prefix (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "bundled:multilingual-e5-small"


def _default_cache() -> Path:
    return Path.home() / ".cache" / "minutes-rag"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # storage
    index_dir: Path = Field(default=Path("data/index"), description="Where the index lives (RAG_INDEX_DIR).")
    store: str | None = Field(
        default=None,
        description="RAG_STORE: unset for the embedded index in index_dir; milvus://host:19530, http://host:port "
        "or a Milvus Lite .db path (optionally ?prefix=NAME) for the Milvus store (extra 'milvus').",
    )
    index_type: str = Field(default="flat", description="flat | hnsw | ivf | hnsw_sq8, for a new index.")
    model_cache: Path = Field(default_factory=lambda: _default_cache() / "models")

    # embedding model
    model: str = Field(
        default=DEFAULT_MODEL,
        description="'bundled:multilingual-e5-small' (offline default), a sentence-transformers id, or a local path.",
    )
    query_prompt: str | None = Field(default=None, description="Override the model's query prompt.")
    passage_prompt: str | None = Field(default=None, description="Override the model's passage prompt.")
    device: str | None = Field(default=None, description="cpu, cuda, …; automatic when unset.")
    batch_size: int = 16
    encoder: str = Field(
        default="auto",
        description="auto | onnx | torch: how the bundled model runs (RAG_ENCODER); auto = ONNX Runtime when "
        "installed and the device is the CPU, else sentence-transformers. Other models always use torch.",
    )
    cross_encoder: str | None = Field(default=None, description="Local path or id of a CrossEncoder reranker.")

    # chunking
    chunk_size: int = 400  # characters
    chunk_overlap: int = 60

    # retrieval
    default_k: int = 5
    max_k: int = 100
    max_question_chars: int = 1000
    mode: str = "hybrid"  # dense | lexical | hybrid
    rerank: bool = True
    glossary: Path | None = Field(
        default=None, description="Extra English→Japanese glossary (TSV) added to the built-in one (RAG_GLOSSARY)."
    )
    calibration: Path | None = Field(
        default=None,
        description="A calibration file written by `python -m eval.tune --out` (RAG_CALIBRATION); default: the "
        "one shipped in rag/retrieve/calibration.json.",
    )

    answer_pairs: bool = Field(
        default=False,
        description="For questions about a response (答弁…, answer/respond), put the answering remark after "
        "each top hit (RAG_ANSWER_PAIRS); off: no held-out gain shown yet.",
    )
    answer_pairs_top: int = 3  # how many top hits get their answer

    # service
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = Field(default=None, description="Required for write endpoints (upload, delete).")
    read_requires_key: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    max_upload_mb: int = 20
    ingest_samples_on_start: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
