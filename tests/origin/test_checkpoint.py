"""C2SP tlog-checkpoint bodies: the spec example, strictness, and a round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.errors import CheckpointInvalid
from smartcustoms.origin.note import parse_note

from .vectors import C2SP_CHECKPOINT_TEXT, C2SP_LOG_SIGNATURE

ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


def test_spec_example_parses_and_formats_back() -> None:
    note = parse_note(C2SP_CHECKPOINT_TEXT + "\n" + C2SP_LOG_SIGNATURE)
    checkpoint = parse_checkpoint(note.text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash.hex().startswith("0ac5186a")
    assert checkpoint.extensions == ()
    assert checkpoint.text() == C2SP_CHECKPOINT_TEXT


def test_extension_lines_are_kept() -> None:
    text = f"log.example\n5\n{ROOT_B64}\nwitness-hint foo\n"
    assert parse_checkpoint(text).extensions == ("witness-hint foo",)
    assert parse_checkpoint(text).text() == text


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (f"log.example\n5\n{ROOT_B64}", "checkpoint"),  # no final newline
        (f"log.example\n5\n{ROOT_B64}\n\n", "extensions[0]"),
        (f"\n5\n{ROOT_B64}\n", "origin"),
        (f"log.example\n05\n{ROOT_B64}\n", "size"),
        (f"log.example\n-5\n{ROOT_B64}\n", "size"),
        (f"log.example\n+5\n{ROOT_B64}\n", "size"),
        (f"log.example\n٥\n{ROOT_B64}\n", "size"),  # a non-ASCII digit
        (f"log.example\n{2**63}\n{ROOT_B64}\n", "size"),
        ("log.example\n5\nAAAA\n", "root_hash"),
        (f"log.example\n5\n{ROOT_B64[:-1]}\n", "root_hash"),
        ("log.example\n5\n", "checkpoint"),
    ],
)
def test_malformed_checkpoints_are_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(CheckpointInvalid) as caught:
        parse_checkpoint(text)
    assert caught.value.field == field


def test_create_refuses_what_parse_refuses() -> None:
    with pytest.raises(CheckpointInvalid, match="root_hash"):
        Checkpoint.create("log.example", 1, b"short")


line = st.text(alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x21), min_size=1)


@given(
    origin=line,
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(line, max_size=3),
)
def test_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint.create(origin, size, root, tuple(extensions))
    assert parse_checkpoint(checkpoint.text()) == checkpoint
