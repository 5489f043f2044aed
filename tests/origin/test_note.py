"""C2SP signed notes: the Go reference vector byte for byte, the spec's rules, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.origin.errors import NoteInvalid, VerificationFailed
from smartcustoms.origin.note import (
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    NoteSignature,
    compute_key_id,
    open_note,
    parse_note,
    sign_note,
)

from .vectors import C2SP_NOTE, GO_NOTE, GO_NOTE_SKEY, GO_NOTE_TEXT, GO_NOTE_VKEY


class TestGoReferenceVector:
    def test_verifier_key_parses_and_reencodes(self) -> None:
        verifier = Ed25519Verifier.from_vkey(GO_NOTE_VKEY)
        assert verifier.name == "PeterNeumann"
        assert verifier.key_id == 0xC74F20A3
        assert verifier.vkey == GO_NOTE_VKEY

    def test_published_signature_verifies(self) -> None:
        opened = open_note(GO_NOTE, [Ed25519Verifier.from_vkey(GO_NOTE_VKEY)])
        assert opened.text == GO_NOTE_TEXT

    def test_our_signature_is_the_published_one(self) -> None:
        # Ed25519 is deterministic: same key and text give the same bytes as Go's signer.
        assert sign_note(GO_NOTE_TEXT, [Ed25519Signer.from_skey(GO_NOTE_SKEY)]) == GO_NOTE

    def test_changed_text_fails(self) -> None:
        tampered = GO_NOTE.replace("cryptography", "cryptographY")
        with pytest.raises(VerificationFailed, match="does not verify"):
            open_note(tampered, [Ed25519Verifier.from_vkey(GO_NOTE_VKEY)])

    @pytest.mark.parametrize(
        "vkey",
        [
            GO_NOTE_VKEY.replace("c74f20a3", "c74f20a4"),  # id does not match key
            GO_NOTE_VKEY.replace("+ARpc", "+AhpC"),  # wrong type byte / key
            GO_NOTE_VKEY[:-1],  # truncated base64
            "PeterNeumann+c74f20a3",  # no key
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ],
    )
    def test_mangled_verifier_keys_are_refused(self, vkey: str) -> None:
        with pytest.raises(NoteInvalid):
            Ed25519Verifier.from_vkey(vkey)


class TestC2spExample:
    def test_text_may_hold_blank_lines_signatures_follow_the_last(self) -> None:
        note = parse_note(C2SP_NOTE)
        assert note.text.endswith("ed è subito sera.\n")
        assert "\n\n" in note.text
        assert [s.name for s in note.signatures] == ["quasimodo.example/salvatore"]
        assert len(note.signatures[0].signature) == 64
        assert note.format() == C2SP_NOTE

    def test_unknown_key_only_is_rejected(self) -> None:
        other = Ed25519Signer.generate("quasimodo.example/salvatore").verifier()
        with pytest.raises(VerificationFailed, match="no signature by a trusted key"):
            open_note(C2SP_NOTE, [other])  # same name, other id: ignored, so none verified


class TestRules:
    def test_key_id_is_sha256_of_name_newline_type_key(self) -> None:
        verifier = Ed25519Verifier.from_vkey(GO_NOTE_VKEY)
        assert compute_key_id("PeterNeumann", 0x01, verifier.public_bytes) == 0xC74F20A3

    def test_unknown_signatures_are_ignored(self) -> None:
        ours, theirs = Ed25519Signer.generate("a.example/log"), Ed25519Signer.generate("b.example")
        text = sign_note("hello\n", [theirs, ours])
        opened = open_note(text, [ours.verifier()])
        assert [sig.name for _, sig in opened.verified] == ["a.example/log"]

    def test_a_bad_signature_by_a_known_key_rejects_the_note(self) -> None:
        signer = Ed25519Signer.generate("a.example/log")
        good = signer.sign("hello\n")
        bad = NoteSignature(good.name, good.key_id, bytes(64))
        other = Ed25519Signer.generate("b.example")
        note = Note("hello\n", (other.sign("hello\n"), good, bad))
        with pytest.raises(VerificationFailed, match="does not verify"):
            open_note(note.format(), [signer.verifier(), other.verifier()])

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("no blank line\n— a AAAAAAA=\n", "blank line"),
            ("text\n\n— a AAAAAAA=", "end with a newline"),
            ("text\n\n", "end with a newline"),
            ("text\n\n- a AAAAAAA=\n", "em dash"),
            ("text\n\n— a+b AAAAAAA=\n", "without spaces"),
            ("text\n\n— a AAAA\n", "4-byte key id"),
            ("text\n\n— a AAAAAAA\n", "base64"),
            ("text\n\n— a AAAAAAA= extra\n", "'— <name> <base64>'"),
            ("tab\there\n\n— a AAAAAAA=\n", "control"),
        ],
    )
    def test_malformed_notes_are_refused(self, text: str, match: str) -> None:
        with pytest.raises(NoteInvalid, match=match):
            parse_note(text)

    def test_invalid_utf8_is_refused(self) -> None:
        with pytest.raises(NoteInvalid, match="UTF-8"):
            parse_note(b"\xff\n\n\xe2\x80\x94 a AAAAAAA=\n")

    def test_too_many_signatures_are_refused(self) -> None:
        line = "— a AAAAAAA=\n"
        with pytest.raises(NoteInvalid, match="at most 64"):
            parse_note("text\n\n" + line * 65)
        assert len(parse_note("text\n\n" + line * 16).signatures) == 16


note_text = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x20),
        max_size=40,
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "\n".join(lines) + "\n")


@settings(max_examples=60, deadline=None)
@given(note_text)
def test_sign_parse_verify_round_trip(text: str) -> None:
    signer = Ed25519Signer.generate("origin.example/log")
    signed = sign_note(text, [signer])
    note = parse_note(signed)
    assert note.text == text
    assert note.format() == signed
    assert open_note(signed, [signer.verifier()]).text == text
