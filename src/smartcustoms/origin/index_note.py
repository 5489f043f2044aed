"""A log-signed list of every statement about a certificate and its issuer, up to a size.

Inclusion proofs show that statements are in the log; they cannot show that nothing
else is. A bundle that carries the issue statement but leaves out its revocation would
still verify. So the log signs, with its checkpoint key, a short note naming each key
(``d:<digest>``, ``r:<issuer>``) and the leaf indexes filed under it below ``size``,
bound to that tree's root:

    smartcustoms/origin/statement-index/v1
    <log origin>
    <size>
    <base64 root hash>
    d:5a1f... 17,901
    r:CCPIT-SZ 3,250

An offline verifier then requires the bundle to carry exactly those entries. This is a
claim by the log operator, not a proof of absence: an operator who leaves a revocation
out has signed a false note, which anyone holding that note and the revocation's
inclusion proof can show to the witnesses and partners. Its first line cannot start a
checkpoint (the second line of a checkpoint is a number), so the log key's two uses do
not mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartcustoms.origin.errors import NoteInvalid, VerificationFailed, shown
from smartcustoms.origin.merkle import HASH_SIZE
from smartcustoms.origin.note import (
    Ed25519Signer,
    Verifier,
    b64decode_strict,
    b64encode,
    open_note,
    sign_note,
)

INDEX_NOTE_TAG = "smartcustoms/origin/statement-index/v1"
MAX_INDEXES = 10_000


@dataclass(frozen=True, slots=True)
class StatementIndexNote:
    origin: str
    size: int
    root_hash: bytes
    keys: tuple[tuple[str, tuple[int, ...]], ...]  # sorted by key

    def text(self) -> str:
        lines = [INDEX_NOTE_TAG, self.origin, str(self.size), b64encode(self.root_hash)]
        for key, indexes in self.keys:
            lines.append(f"{key} {','.join(map(str, indexes)) or '-'}")
        return "\n".join(lines) + "\n"

    def indexes(self) -> set[int]:
        return {i for _, found in self.keys for i in found}


def _invalid(message: str, value: object) -> VerificationFailed:
    return VerificationFailed(f"statement-index note {message}; got {shown(value)!r}")


def _index(text: str, size: int) -> int:
    if not text.isascii() or not text.isdigit() or (text.startswith("0") and text != "0"):
        raise _invalid("indexes must be decimals without leading zeroes", text)
    value = int(text)
    if value >= size:
        raise _invalid(f"indexes must be below the size {size}", text)
    return value


def parse_index_note_text(text: str) -> StatementIndexNote:
    lines = text[:-1].split("\n") if text.endswith("\n") else []
    if len(lines) < 4 or lines[0] != INDEX_NOTE_TAG:
        raise _invalid(f"must start with {INDEX_NOTE_TAG} and name origin, size, root", text)
    origin, size_text, root_text = lines[1:4]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise _invalid("size must be a decimal", size_text)
    size = int(size_text)
    try:
        root = b64decode_strict(root_text, "root_hash")
    except NoteInvalid as exc:
        raise _invalid("root must be canonical base64", root_text) from exc
    if len(root) != HASH_SIZE:
        raise _invalid(f"root must be {HASH_SIZE} bytes", root_text)
    keys: list[tuple[str, tuple[int, ...]]] = []
    for line in lines[4:]:
        key, sep, listed = line.partition(" ")
        if not sep or not key or " " in listed:
            raise _invalid("key lines are '<key> <i,j,...>' or '<key> -'", line)
        indexes = () if listed == "-" else tuple(_index(i, size) for i in listed.split(","))
        if list(indexes) != sorted(set(indexes)) or len(indexes) > MAX_INDEXES:
            raise _invalid("indexes must ascend, each once", line)
        keys.append((key, indexes))
    if [k for k, _ in keys] != sorted({k for k, _ in keys}):
        raise _invalid("keys must be sorted, each once", text)
    return StatementIndexNote(origin, size, root, tuple(keys))


def sign_index_note(note: StatementIndexNote, signer: Ed25519Signer) -> str:
    text = note.text()
    parse_index_note_text(text)  # one set of rules for both directions
    return sign_note(text, [signer])


def open_index_note(data: str, verifiers: Sequence[Verifier]) -> StatementIndexNote:
    """The note's content if one of ``verifiers`` (the policy's log keys) signed it."""
    return parse_index_note_text(open_note(data, verifiers).text)
