"""Device secrets in Mosquitto's password-file format, checked against mosquitto_passwd."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.transit.credentials import (
    generate_secret,
    hash_secret,
    password_file_line,
    verify_secret,
)

MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")


def test_round_trip_and_wrong_secret() -> None:
    secret = generate_secret()
    hashed = hash_secret(secret)
    assert verify_secret(secret, hashed)
    assert not verify_secret(secret + "x", hashed)
    assert not verify_secret(generate_secret(), hashed)


def test_format_is_mosquitto_7() -> None:
    hashed = hash_secret("s3cret", salt=b"0123456789ab")
    # Known value: PBKDF2-HMAC-SHA512, 101 iterations, salt and digest in base64.
    assert hashed.startswith("$7$101$MDEyMzQ1Njc4OWFi$")
    assert hashed == hash_secret("s3cret", salt=b"0123456789ab")
    assert hash_secret("s3cret") != hash_secret("s3cret")  # fresh salt each time
    assert verify_secret("s3cret", hash_secret("s3cret", iterations=1000))


@pytest.mark.parametrize("hashed", [
    "", "plain", "$7$", "$7$x$AAAA$AAAA", "$7$0$AAAA$AAAA", "$7$101$!!$AAAA", "$5$AAAA$AAAA",
    "$6$AAAA",
])
def test_malformed_hashes_never_verify(hashed: str) -> None:
    assert not verify_secret("anything", hashed)


def test_salted_sha512_6_is_accepted() -> None:
    # mosquitto_passwd -H sha512 -b pw bob pw2 (Mosquitto 2.0.11)
    line = ("bob:$6$lNz7nlZw8rXaQxYI$CFX53AVUnDM5+Yd/B54rOfwY7ljGPHKuWG4d6YmVXwVaiqPUXDK968"
            "bU/yH2qI8Ir5yHiR+VPKqR+BBQQGifxQ==")
    hashed = line.split(":", 1)[1]
    assert verify_secret("pw2", hashed)
    assert not verify_secret("pw3", hashed)


def test_golden_line_from_mosquitto_passwd_2_0_11() -> None:
    line = ("alice:$7$101$C0Ul/fKH/O1Qz5WL$ld8BMrMMlCYZ3Pe1ql1u2N33nK4FfeBibJgXgycrA2zWc1oUXY"
            "otGC5XoBk5J7TNNWjEGdCi+PH1frL3AZG6Ow==")
    user, hashed = line.split(":", 1)
    assert verify_secret("s3cret", hashed)
    assert password_file_line(user, hashed) == line


@pytest.mark.skipif(MOSQUITTO_PASSWD is None, reason="mosquitto_passwd not installed")
def test_line_written_by_installed_mosquitto_passwd(tmp_path: Path) -> None:
    assert MOSQUITTO_PASSWD
    secret = generate_secret()
    path = tmp_path / "passwd"
    subprocess.run([MOSQUITTO_PASSWD, "-b", "-c", str(path), "ESEAL-1", secret],
                   check=True, capture_output=True)
    user, hashed = path.read_text().strip().split(":", 1)
    assert user == "ESEAL-1"
    assert verify_secret(secret, hashed)
    assert not verify_secret(secret[:-1], hashed)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=80), st.binary(min_size=1, max_size=24))
def test_any_secret_round_trips(secret: str, salt: bytes) -> None:
    hashed = hash_secret(secret, salt=salt, iterations=3)
    assert verify_secret(secret, hashed)
    # (not + "\\0": HMAC pads short keys with zeros, in Mosquitto too)
    assert not verify_secret(secret + "x", hashed)


@pytest.mark.parametrize("username", ["", "a:b", "a\nb"])
def test_password_file_line_refuses_unsafe_usernames(username: str) -> None:
    with pytest.raises(ValueError):
        password_file_line(username, hash_secret("x"))
