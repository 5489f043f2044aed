"""C2SP tlog-checkpoint note bodies: origin, tree size, base64 root hash, extensions.

Parsing is strict so that one checkpoint has one text: no leading zeroes in the size,
canonical base64 for exactly 32 bytes, no empty lines, a final newline. That matters
because signatures cover the text, and a lenient parser would let two texts mean the
same tree head.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcustoms.origin.errors import CheckpointInvalid, NoteInvalid, shown
from smartcustoms.origin.merkle import HASH_SIZE
from smartcustoms.origin.note import b64decode_strict, b64encode, check_note_text

MAX_TREE_SIZE = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head; build with ``Checkpoint.create`` or ``parse_checkpoint``."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @classmethod
    def create(
        cls, origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...] = ()
    ) -> Checkpoint:
        checkpoint = cls(origin, size, root_hash, tuple(extensions))
        return parse_checkpoint(checkpoint.text())  # one set of rules for both directions

    def text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"


def _invalid(message: str, field: str, value: object) -> CheckpointInvalid:
    return CheckpointInvalid(
        f"{field} {message}; got {shown(value)!r}", field=field, value=shown(value)
    )


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note text (the part before the signatures)."""
    try:
        check_note_text(text)
    except NoteInvalid as exc:
        raise CheckpointInvalid(exc.detail, field="checkpoint", value=shown(text)) from exc
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise _invalid("must have at least 3 lines", "checkpoint", text)
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise _invalid("must not be empty", "origin", origin)
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (size_text.startswith("0") and size_text != "0")
    ):
        raise _invalid("must be a decimal without leading zeroes", "size", size_text)
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise _invalid(f"must be at most {MAX_TREE_SIZE}", "size", size_text)
    try:
        root = b64decode_strict(root_text, "root_hash")
    except NoteInvalid as exc:
        raise _invalid("must be canonical base64", "root_hash", root_text) from exc
    if len(root) != HASH_SIZE:
        raise _invalid(f"must encode {HASH_SIZE} bytes", "root_hash", root_text)
    for i, line in enumerate(extensions):
        if not line:
            raise _invalid("must not be empty", f"extensions[{i}]", line)
    return Checkpoint(origin, size, root, tuple(extensions))
