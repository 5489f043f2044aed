"""Sentence vectors from all-MiniLM-L6-v2 on ONNX Runtime: offline, no PyTorch.

The model ships in ``data/tariff/minilm/`` (the BERT encoder as ONNX with int8 weights and
int8 matrix products, and its ``tokenizer.json``; see PROVENANCE.md there), so nothing is
downloaded at run time and the install stays small. Pooling and normalisation are done
here, in numpy, exactly as sentence-transformers does them: the mean of the token vectors
under the attention mask, then L2 normalisation, so a dot product of two vectors is their
cosine.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from smartcustoms.paths import DATA_ROOT

DEFAULT_MODEL_DIR = DATA_ROOT / "tariff" / "minilm"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
#: all-MiniLM-L6-v2 was trained on 128 word pieces; longer inputs add cost, not quality.
MAX_TOKENS = 128
# Texts tokenised and length-sorted at a time: enough to batch well, few enough that the
# tokenizer's encodings of a million texts are never all held at once.
_WINDOW = 4096


class SentenceEncoder:
    """Encode texts as unit-length float32 vectors (384 dimensions for MiniLM-L6).

    The ONNX session and tokenizer load on first use, so building an encoder is free
    and a process that never needs semantic vectors never pays for the model.
    ``threads`` is ONNX Runtime's intra-op thread count: 1 by default, so that workers
    sharing a small machine do not oversubscribe its cores; raise it for one big batch.
    """

    def __init__(self, model_dir: str | Path | None = None, *, threads: int = 1,
                 max_tokens: int = MAX_TOKENS) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if max_tokens < 2:
            raise ValueError("max_tokens must leave room for [CLS] and [SEP]")
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        self.threads = threads
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: tuple[str, ...] = ()
        self._dimension = 0
        self._pad_id = 0

    # An encoder travels with a pickled model; the session does not pickle, so it is
    # dropped and loaded again on first use in the new process.
    def __getstate__(self) -> dict[str, Any]:
        return {"model_dir": self.model_dir, "threads": self.threads,
                "max_tokens": self.max_tokens}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["model_dir"], threads=state["threads"],
                      max_tokens=state["max_tokens"])

    def __repr__(self) -> str:
        return f"SentenceEncoder({str(self.model_dir)!r}, threads={self.threads})"

    @property
    def dimension(self) -> int:
        """Length of the vectors (read from the model's output, so it loads the model)."""
        self._load()
        return self._dimension

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            # Imported here: a module that only lists encoders should not pay for them.
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model_path = self.model_dir / MODEL_FILE
            tokenizer_path = self.model_dir / TOKENIZER_FILE
            for path in (model_path, tokenizer_path):
                if not path.is_file():
                    raise FileNotFoundError(f"sentence encoder file missing: {path}")
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            # The shipped tokenizer.json pads every input to 128; encode() pads each
            # batch only to its longest text instead.
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.max_tokens)
            pad_id = tokenizer.token_to_id("[PAD]")
            self._pad_id = 0 if pad_id is None else pad_id

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # The arena keeps the largest buffers of every batch shape it has seen: on
            # 800 rulings it held 918 MiB against 382 without it, at the same speed.
            options.enable_cpu_mem_arena = False
            session = ort.InferenceSession(str(model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
            dim = session.get_outputs()[0].shape[-1]
            if not isinstance(dim, int):
                raise ValueError(f"{model_path}: output has no fixed vector length ({dim!r})")
            self._inputs = tuple(i.name for i in session.get_inputs())
            self._tokenizer, self._dimension = tokenizer, dim
            self._session = session

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Vectors of ``texts``, shape ``(len(texts), dimension)``, float32, unit length.

        Texts past ``max_tokens`` word pieces are truncated. Within each window of a few
        thousand texts, batches are formed in order of token count so that a batch pads
        little (the cost grows with the padded length, not the real one); the result is in
        the order given, and a text's vector does not depend on its batch.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"encode() takes texts, got {type(text).__name__}")
        self._load()
        out = np.empty((len(texts), self._dimension), dtype=np.float32)
        window = max(batch_size, _WINDOW)
        for first in range(0, len(texts), window):
            chunk = list(texts[first:first + window])
            ids = [e.ids for e in self._tokenizer.encode_batch(chunk)]
            lengths = np.array([len(i) for i in ids])
            order = np.argsort(lengths, kind="stable")
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                out[first + rows] = self._encode_batch([ids[r] for r in rows])
        return out

    def _encode_batch(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(i) for i in ids)
        input_ids = np.full((len(ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids)}
        (hidden,) = self._session.run(None, {k: feed[k] for k in self._inputs})
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class MemoEncoder:
    """An encoder that remembers each text's vector. Cross-validation folds and every
    retraining encode the same nomenclature and rulings again; with ``path`` the vectors
    are kept in a file between runs (``save``), under a name tied to the model file, so
    another encoder never reads them. ``seeds`` are read-only files of the same form (the
    vectors of the shipped texts, in ``data/tariff/vectors``): a first training starts
    from them. Not for serving: it grows with every new text."""

    def __init__(self, encoder: SentenceEncoder, path: Path | None = None,
                 seeds: Sequence[Path] = ()) -> None:
        self.encoder = encoder
        self.path = path
        self._memo: dict[bytes, np.ndarray] = {}
        for seed in seeds:
            self._memo.update(_read_vectors(seed))
        if path is not None:
            self._memo.update(_read_vectors(path))
        self._loaded = len(self._memo) if path is not None and path.exists() else 0

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha256(text.encode()).digest()[:16]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memo}
        if missing:
            vectors = self.encoder.encode(list(missing.values()), batch_size)
            self._memo.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.encoder.dimension), dtype=np.float32)
        return np.stack([self._memo[k] for k in keys])

    def save(self) -> None:
        """Write the vectors to ``path`` (atomically) when there are new ones."""
        if self.path is None or len(self._memo) == self._loaded:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("wb") as fh:
            np.savez(fh, keys=np.array(list(self._memo), dtype="S16"),
                     vectors=np.stack(list(self._memo.values())).astype(np.float32))
        tmp.replace(self.path)
        self._loaded = len(self._memo)


def _read_vectors(path: Path) -> dict[bytes, np.ndarray]:
    """A vectors file as {key: vector}; nothing when it is missing or damaged (a damaged
    cache is only a slower run)."""
    if not path.exists():
        return {}
    try:
        with np.load(path) as stored:
            keys, vectors = stored["keys"], stored["vectors"]
    except (OSError, ValueError, KeyError):
        return {}
    # numpy's fixed-width bytes drop trailing NUL bytes: a key whose digest ends in 0x00
    # comes back shorter and would never be found again.
    return {bytes(k).ljust(16, b"\0"): v.astype(np.float32)
            for k, v in zip(keys, vectors, strict=True)}


def shipped_vectors(model_dir: str | Path | None = None) -> Path:
    """Where the vectors of the shipped texts for this encoder model live (may not exist)."""
    return DATA_ROOT / "tariff" / "vectors" / f"vectors-{model_digest(model_dir)[:16]}.npz"


def model_digest(model_dir: str | Path | None = None) -> str:
    """sha256 of the encoder's model file: what a cache of its vectors is tied to."""
    path = Path(model_dir or DEFAULT_MODEL_DIR) / MODEL_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest()


def encoder_digest(encoder: object) -> str | None:
    """The model file's sha256 of a sentence encoder (or of the one a ``MemoEncoder``
    wraps): what a fitted model's vectors belong to. None for any other encoder."""
    inner = encoder.encoder if isinstance(encoder, MemoEncoder) else encoder
    if isinstance(inner, SentenceEncoder):
        return model_digest(inner.model_dir)
    return None
