"""The model's trees compiled to machine code, for scoring large batches.

LightGBM walks its trees node by node through generic data structures; lleaves
(LLVM) compiles the same text model into straight-line native code, about five times
faster on one core for our ~200-tree models. Its output is LightGBM's to rounding
(the sums of leaf values may differ in the last bit, < 1e-15), and both engines of
``score_file`` use the same compiled library, so they still agree exactly.

Compiling takes seconds, so the library is cached under the data directory, keyed
by the model text, the compiler versions and the host CPU (the code is compiled for
this CPU). Any failure (lleaves missing, an unsupported model) falls back to LightGBM
with a warning: a slower score, never a wrong or missing one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

Predictor = Callable[[np.ndarray], np.ndarray]


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def cache_key(model_text: str) -> str:
    """What the compiled library depends on: the model, the compilers, the CPU."""
    import llvmlite.binding as llvm

    parts = [model_text, metadata.version("lleaves"), metadata.version("llvmlite"),
             llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def compile_trees(model_text: str, cache_dir: Path) -> Predictor | None:
    """A function from a float64 feature matrix to LightGBM's predictions, or None."""
    try:
        import lleaves

        library = cache_dir / f"trees-{cache_key(model_text)[:32]}.so"
        with tempfile.TemporaryDirectory(prefix="sc-trees-") as tmp:
            model_file = Path(tmp) / "model.txt"
            model_file.write_text(model_text, encoding="utf-8")
            compiled = lleaves.Model(model_file=str(model_file))
            if library.exists():
                compiled.compile(cache=str(library))
            else:
                # Compiled beside the cache and renamed: a concurrent reader (another
                # Dask worker) sees no library or a whole one, never half of one.
                cache_dir.mkdir(parents=True, exist_ok=True)
                partial = cache_dir / f".{library.name}.{os.getpid()}.partial"
                compiled.compile(cache=str(partial))
                partial.replace(library)
    except Exception as exc:  # any failure means: score with LightGBM
        log.warning("scoring with LightGBM: the compiled trees are unavailable (%s)", exc)
        return None
    threads = _cpus()

    def predict(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(compiled.predict(np.ascontiguousarray(matrix, dtype=np.float64),
                                           n_jobs=threads))

    return predict
