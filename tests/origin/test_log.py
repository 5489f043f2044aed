"""The sequencer: batches on disk as tlog-tiles, proofs from tiles, crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smartcustoms.origin.checkpoint import parse_checkpoint
from smartcustoms.origin.errors import (
    EntryInvalid,
    LogCorrupted,
    LogLocked,
    VerificationFailed,
)
from smartcustoms.origin.log import COMMITTED_PATH, PUBLISHED_PATH, Sequencer
from smartcustoms.origin.merkle import (
    MemoryHashes,
    hash_leaf,
    prove_consistency,
    prove_inclusion,
    verify_consistency,
    verify_inclusion,
)
from smartcustoms.origin.note import Ed25519Signer, open_note
from smartcustoms.origin.tiles import DirectoryTiles, bundle_path, tile_path, verify_tree

from .conftest import ORIGIN, make_statements


def open_log(path: Path, signer: Ed25519Signer, batch_size: int = 100) -> Sequencer:
    return Sequencer.open(path, signer, batch_size=batch_size)


class TestAppend:
    def test_batches_give_the_root_of_all_statements(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        statements = make_statements(70_000 // 50)  # crosses tile and bundle boundaries
        with open_log(tmp_path, log_signer, batch_size=97) as log:
            indexes = log.append_statements(statements)
            log.commit_batch()
            assert indexes == list(range(len(statements)))
            assert log.checkpoint.root_hash == MemoryHashes.from_entries(statements).root()
            verify_tree(log.source, log.checkpoint.size, log.checkpoint.root_hash)

    def test_committed_checkpoint_is_a_signed_note(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        with open_log(tmp_path, log_signer) as log:
            log.append_statements(make_statements(3))
            note = log.commit_batch()
        text = open_note(note, [log_signer.verifier()]).text
        assert parse_checkpoint(text).size == 3
        assert (tmp_path / COMMITTED_PATH).read_text() == note
        assert not (tmp_path / PUBLISHED_PATH).exists()  # published only when witnessed
        assert (tmp_path / tile_path(0, 0, 3)).stat().st_size == 96
        assert (tmp_path / bundle_path(0, 3)).exists()

    def test_proofs_from_tiles_verify(self, tmp_path: Path, log_signer: Ed25519Signer) -> None:
        statements = make_statements(600)
        memory = MemoryHashes.from_entries(statements)
        with open_log(tmp_path, log_signer) as log:
            log.append_statements(statements[:300])
            old = log.commit_batch()
            log.append_statements(statements[300:])
            log.commit_batch()
            root = log.checkpoint.root_hash
            for index in (0, 255, 256, 599):
                proof = log.prove_inclusion(index)
                assert proof == prove_inclusion(memory, index, 600)
                verify_inclusion(hash_leaf(statements[index]), index, 600, proof, root)
                assert log.read_entry(index) == statements[index]
            old_root = parse_checkpoint(open_note(old, [log_signer.verifier()]).text).root_hash
            proof = log.prove_consistency(300)
            assert proof == prove_consistency(memory, 300, 600)
            verify_consistency(300, 600, old_root, root, proof)
            # an older tree size is still served (its partial tiles were kept)
            assert log.prove_inclusion(5, 300) == prove_inclusion(memory, 5, 300)

    @pytest.mark.parametrize(
        ("statement", "match"),
        [
            (b'{"b":1,"a":2}', "canonical"),
            (b'{"a": 1}', "canonical"),
            (b"not json", "not JSON"),
            (b"x" * 70_000, "65535"),
        ],
    )
    def test_refuses_non_canonical_or_huge_statements(
        self, tmp_path: Path, log_signer: Ed25519Signer, statement: bytes, match: str
    ) -> None:
        with open_log(tmp_path, log_signer) as log, pytest.raises(EntryInvalid, match=match):
            log.append_statement(statement)

    def test_a_second_sequencer_is_locked_out(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        with open_log(tmp_path, log_signer), pytest.raises(LogLocked):
            open_log(tmp_path, log_signer)

    def test_publish_accepts_only_this_logs_checkpoints(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        with open_log(tmp_path, log_signer) as log:
            log.append_statements(make_statements(5))
            note = log.commit_batch()
            log.publish(note)
            assert (tmp_path / PUBLISHED_PATH).read_text() == note
            stranger = Ed25519Signer.generate(ORIGIN)
            forged = (
                note.split("\n\n")[0] + "\n\n" + stranger.sign(note.split("\n\n")[0] + "\n").line()
            )
            with pytest.raises(VerificationFailed):
                log.publish(forged)


class TestRecovery:
    """A crash between writing a batch's tiles and its checkpoint leaves a torn batch."""

    def _torn(self, tmp_path: Path, signer: Ed25519Signer) -> tuple[list[bytes], bytes]:
        statements = make_statements(700)
        with open_log(tmp_path, signer, batch_size=1000) as log:
            log.append_statements(statements[:300])
            log.commit_batch()
            committed = (tmp_path / COMMITTED_PATH).read_bytes()
            log.append_statements(statements[300:])
            log.commit_batch()  # the "crashed" batch: we put the old commit record back
        (tmp_path / COMMITTED_PATH).write_bytes(committed)
        return statements, committed

    def test_torn_batch_is_rolled_back(self, tmp_path: Path, log_signer: Ed25519Signer) -> None:
        statements, _ = self._torn(tmp_path, log_signer)
        # and a half-written temp file, as a kill during write leaves it
        (tmp_path / "tile/0/.tmp-002.p.123").write_bytes(b"\x00" * 10)
        # and a commit record being written when the process died
        (tmp_path / "log/.tmp-committed.77").write_bytes(b"half a checkpoint")
        with open_log(tmp_path, log_signer) as log:
            assert log.checkpoint.size == 300
            assert "log/.tmp-committed.77" in log.rolled_back
            assert "tile/0/001" in log.rolled_back  # full tile 1 only existed at 700
            assert "tile/entries/002.p/188" in log.rolled_back
            assert not (tmp_path / tile_path(0, 2, 188)).exists()
            assert (tmp_path / tile_path(0, 1, 44)).exists()  # committed partial kept
            # appending again produces the same log as if nothing had happened
            log.append_statements(make_statements(400, start=300))
            log.commit_batch()
            assert log.checkpoint.root_hash == MemoryHashes.from_entries(statements).root()
            verify_tree(log.source, 700, log.checkpoint.root_hash)

    def test_truncated_committed_tile_is_reported_not_dropped(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        with open_log(tmp_path, log_signer) as log:
            log.append_statements(make_statements(300))
            log.commit_batch()
        partial = tmp_path / tile_path(0, 1, 44)
        partial.write_bytes(partial.read_bytes()[:-5])
        with pytest.raises(LogCorrupted, match="damaged"):
            open_log(tmp_path, log_signer)

    def test_truncated_commit_record_is_reported(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        with open_log(tmp_path, log_signer) as log:
            log.append_statements(make_statements(10))
            log.commit_batch()
        record = tmp_path / COMMITTED_PATH
        record.write_bytes(record.read_bytes()[:-20])
        with pytest.raises(LogCorrupted, match="not a checkpoint signed by this log"):
            open_log(tmp_path, log_signer)

    def test_killed_writer_loses_no_committed_entry(
        self, tmp_path: Path, log_signer: Ed25519Signer
    ) -> None:
        """SIGKILL a real writer process mid-run; everything its last commit record names
        is on disk and verifies."""
        key = tmp_path / "key"
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        key.write_bytes(
            log_signer._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        )
        script = f"""
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from smartcustoms.origin.log import Sequencer
from smartcustoms.origin.note import Ed25519Signer
import rfc8785
raw = open({str(key)!r}, 'rb').read()
signer = Ed25519Signer({ORIGIN!r}, Ed25519PrivateKey.from_private_bytes(raw))
log = Sequencer.open({str(tmp_path / "log")!r}, signer, batch_size=64)
i = 0
while True:
    log.append_statement(rfc8785.dumps({{"n": i}}))
    i += 1
    if i == 200:
        print("ready", flush=True)
"""
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.3)
        os.kill(proc.pid, 9)
        proc.wait()
        with open_log(tmp_path / "log", log_signer) as log:
            size = log.checkpoint.size
            assert size >= 192
            verify_tree(DirectoryTiles(tmp_path / "log"), size, log.checkpoint.root_hash)
            assert log.read_entry(size - 1) == f'{{"n":{size - 1}}}'.encode()
