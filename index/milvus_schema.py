"""The Milvus collections of one index, the client, filter expressions and paged reads.

Collections, all named ``{prefix}_…``:
  meta       key → value (the manifest)
  log        one row per write (upsert or delete of a document): its row count is the store's generation
  documents  one row per document: sha256, date and the metadata as JSON; the row is written last, so a
             document is in the index exactly when its row is (the commit marker of a write)
  remarks    one row per remark: record JSON, text, the Sudachi tokens of the BM25 leg, the filter fields
  chunks     one row per chunk: auto id (never reused), text, offsets, the dense vector (HNSW, IP), the filter
             fields (copied from the remark, so a filtered dense search runs inside Milvus)
  blobs      values too long for one VARCHAR (document texts, very long remarks), in parts, and the uploaded
             source PDFs of documents (base64 parts, ``index.milvus_sources``)
Milvus needs a vector field in every collection: those that have none of their own carry a 2-d zero vector.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

from index.backend import MilvusTarget
from index.filters import check_date
from index.schema import normalize
from rag.errors import IndexStoreError
from rag.types import Filters

log = logging.getLogger(__name__)

SCHEMA = "milvus-1"
MAX_BYTES = 60_000  # a VARCHAR holds 65,535 bytes; longer values go to blobs in parts of at most this
FILTER_CHARS = 1_000  # filter fields keep this many characters (normalized)
PAGE = 4_000  # rows per page of a paged read
IN_BATCH = 1_000  # values per `field in [...]` expression
MAX_QUERY = 16_384  # the most rows one Milvus query returns
NO_VECTOR = [0.0, 0.0]
TOKEN_SEP = "\x1f"
COLLECTIONS = ("meta", "log", "documents", "remarks", "chunks", "blobs")
FILTER_FIELDS = ("f_title", "f_body", "f_date", "f_topic", "f_tnum", "f_speaker", "f_role", "f_group")


def connect(target: MilvusTarget) -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise ImportError(
            "the Milvus store needs pymilvus (and milvus-lite for a .db file or a local server): "
            "pip install 'minutes-rag[milvus]'"
        ) from exc
    logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)  # a Lite-only notice
    if target.token:
        return MilvusClient(uri=target.uri, token=target.token)
    return MilvusClient(uri=target.uri)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """``method`` with a failure of the Milvus client turned into IndexStoreError (the API answers 503)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("pymilvus", "grpc"):
                raise IndexStoreError(
                    f"the Milvus store failed: {exc}; check that Milvus runs (RAG_STORE)"
                ) from exc
            raise

    return cast(F, wrapper)


def names(prefix: str) -> dict[str, str]:
    return {c: f"{prefix}_{c}" for c in COLLECTIONS}


def _schema(client: Any, kind: str, dim: int) -> tuple[Any, Any]:
    from pymilvus import DataType

    v, i64 = DataType.VARCHAR, DataType.INT64
    auto = kind in ("log", "chunks")
    schema = client.create_schema(auto_id=auto, enable_dynamic_field=False)
    index = client.prepare_index_params()
    if kind == "meta":
        schema.add_field("key", v, is_primary=True, max_length=128)
        schema.add_field("value", v, max_length=65_535)
    elif kind == "log":
        schema.add_field("id", i64, is_primary=True)
        schema.add_field("document", v, max_length=1_024)
        schema.add_field("action", v, max_length=16)
    elif kind == "documents":
        schema.add_field("document", v, is_primary=True, max_length=1_024)
        schema.add_field("sha256", v, max_length=64)
        schema.add_field("date", v, max_length=32)
        schema.add_field("data", v, max_length=65_535)
    elif kind == "blobs":
        schema.add_field("key", v, is_primary=True, max_length=2_048)
        schema.add_field("document", v, max_length=1_024)
        schema.add_field("data", v, max_length=65_535)
    else:
        if kind == "remarks":
            schema.add_field("remark_id", v, is_primary=True, max_length=1_100)
        else:
            schema.add_field("chunk_id", i64, is_primary=True)
            schema.add_field("remark_id", v, max_length=1_100)
        schema.add_field("document", v, max_length=1_024)
        schema.add_field("ordinal", i64)
        schema.add_field("text", v, max_length=65_535)
        if kind == "remarks":
            schema.add_field("data", v, max_length=65_535)
            schema.add_field("tokens", v, max_length=65_535)
            schema.add_field("has_tokens", DataType.BOOL)
        else:
            schema.add_field("char_start", i64)
            schema.add_field("char_end", i64)
        for name in FILTER_FIELDS:
            if name == "f_tnum":
                schema.add_field(name, i64)
            else:
                schema.add_field(name, v, max_length=4 * FILTER_CHARS)
    if kind == "chunks":
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        index.add_index(
            field_name="vector", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200}
        )
    else:
        schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
        index.add_index(field_name="_v", index_type="FLAT", metric_type="L2")
    return schema, index


def existing(client: Any, prefix: str) -> set[str]:
    have = set(client.list_collections())
    return {kind for kind, name in names(prefix).items() if name in have}


def create_missing(client: Any, prefix: str, dim: int) -> None:
    """Create the collections that do not exist yet (another process creating them at once is fine)."""
    have = existing(client, prefix)
    for kind, name in names(prefix).items():
        if kind in have:
            continue
        schema, index = _schema(client, kind, dim)
        try:
            client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
        except Exception as exc:  # noqa: BLE001 - a concurrent creator wins; anything else is re-raised
            deadline = time.monotonic() + 10.0
            while name not in set(client.list_collections()):  # the other creator may still be at it
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            log.info("collection %s was created meanwhile (%s)", name, exc)


# --- expressions ---------------------------------------------------------------------------
def literal(value: str) -> str:
    """A Milvus string literal."""
    return json.dumps(value, ensure_ascii=False)


def _contains(field: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{field} like {literal('%' + escaped + '%')}"


def in_list(field: str, values: Sequence[Any]) -> str:
    if values and isinstance(values[0], str):
        return f"{field} in [{', '.join(literal(v) for v in values)}]"
    return f"{field} in [{', '.join(str(int(v)) for v in values)}]"


def filter_expr(filters: Filters | None) -> str | None:
    """The Milvus expression over the filter fields (remarks and chunks) for ``filters``; None: no filter.

    Same meaning as ``index.filters.filter_where``: substrings after NFKC + casefold, date prefixes."""
    if filters is None:
        return None
    clauses: list[str] = []
    if filters.meeting:
        value = normalize(filters.meeting)
        clauses.append(f"({_contains('f_title', value)} or {_contains('f_body', value)})")
    if filters.date_from:
        clauses.append(f"f_date >= {literal(check_date('date_from', filters.date_from))}")
    if filters.date_to:
        value = check_date("date_to", filters.date_to)
        clauses.append(
            f'(f_date != "" and f_date <= {literal(value + "~")})'
        )  # "~" sorts after digits and "-"
    if filters.topic:
        topic = normalize(filters.topic).strip()
        clauses.append(f"f_tnum == {int(topic)}" if topic.isdigit() else _contains("f_topic", topic))
    if filters.speaker:
        value = normalize(filters.speaker)
        clauses.append(f"({_contains('f_speaker', value)} or {_contains('f_role', value)})")
    if filters.speaker_group:
        clauses.append(_contains("f_group", normalize(filters.speaker_group)))
    if filters.document:
        clauses.append(f"document == {literal(filters.document)}")
    return " and ".join(clauses) if clauses else None


def filter_fields(remark: Any, meeting: Any) -> dict[str, Any]:
    """The filter fields of a remark (``rag.types.Remark``) in its meeting (``rag.types.Meeting``)."""

    def cut(value: str | None) -> str:
        return normalize(value)[:FILTER_CHARS]

    return {
        "f_title": cut(meeting.title),
        "f_body": cut(meeting.body),
        "f_date": meeting.date or "",
        "f_topic": cut(remark.topic),
        "f_tnum": -1 if remark.topic_number is None else int(remark.topic_number),
        "f_speaker": cut(remark.speaker),
        "f_role": cut(remark.role),
        "f_group": cut(remark.speaker_group),
    }


# --- paged reads and long values -----------------------------------------------------------
def rows(client: Any, collection: str, expr: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every row matching ``expr`` ("" for all), page by page."""
    it = client.query_iterator(collection, batch_size=PAGE, filter=expr, output_fields=list(fields))
    try:
        while True:
            page = it.next()
            if not page:
                return
            yield from page
    finally:
        it.close()


def matching(client: Any, collection: str, expr: str, fields: Sequence[str]) -> list[dict[str, Any]]:
    """Every row matching ``expr``: one query when they are at most MAX_QUERY, else paged."""
    got = client.query(collection, filter=expr, output_fields=list(fields), limit=MAX_QUERY)
    return list(got) if len(got) < MAX_QUERY else list(rows(client, collection, expr, fields))


def rows_in(
    client: Any,
    collection: str,
    field: str,
    values: Sequence[Any],
    fields: Sequence[str],
    *,
    unique: bool = False,
    batch_size: int = IN_BATCH,
) -> list[dict[str, Any]]:
    """Rows whose ``field`` is one of ``values``, in batches of ``batch_size``: one query per batch (``unique``: at
    most one row per value, a primary key), paging through the rest only when a batch matches more than MAX_QUERY
    rows. Rows of large values want a smaller batch, to keep one result under Milvus's cap."""
    out: list[dict[str, Any]] = []
    wanted = list(dict.fromkeys(values))
    for begin in range(0, len(wanted), batch_size):
        batch = wanted[begin : begin + batch_size]
        expr = in_list(field, batch)
        if unique:
            out.extend(client.query(collection, filter=expr, output_fields=list(fields), limit=len(batch)))
        else:
            out.extend(matching(client, collection, expr, fields))
    return out


def delete_in(client: Any, collection: str, field: str, values: Sequence[Any]) -> None:
    """Delete the rows whose ``field`` is one of ``values``, one delete per IN_BATCH values."""
    for begin in range(0, len(values), IN_BATCH):
        client.delete(collection, filter=in_list(field, list(values[begin : begin + IN_BATCH])))


def count(client: Any, collection: str, expr: str = "") -> int:
    result = client.query(collection, filter=expr, output_fields=["count(*)"])
    return int(result[0]["count(*)"]) if result else 0


def split(value: str) -> list[str]:
    """``value`` in parts of at most MAX_BYTES bytes of UTF-8 each (one part when it fits)."""
    if len(value) * 4 <= MAX_BYTES or len(value.encode("utf-8")) <= MAX_BYTES:
        return [value]
    parts: list[str] = []
    begin, size = 0, 0
    for pos, char in enumerate(value):
        width = len(char.encode("utf-8"))
        if size + width > MAX_BYTES:
            parts.append(value[begin:pos])
            begin, size = pos, 0
        size += width
    parts.append(value[begin:])
    return parts
