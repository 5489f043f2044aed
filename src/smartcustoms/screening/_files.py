"""File facts recorded with every loaded list: name, size and sha256, so a screening
result can always say exactly which publication it was checked against."""

from __future__ import annotations

import hashlib
from pathlib import Path

from smartcustoms.screening.errors import ScreeningListInvalid
from smartcustoms.screening.models import SourceFile


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ScreeningListInvalid(path, "(file)", "path", str(path),
                                   f"a readable file ({exc.strerror})") from exc


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_file(path: Path, records: int, data: bytes | None = None) -> SourceFile:
    if data is not None:
        return SourceFile(path.name, hashlib.sha256(data).hexdigest(), len(data), records)
    return SourceFile(path.name, sha256_file(path), path.stat().st_size, records)
