"""Webhook signatures: a receiver can check body, secret and freshness."""

from __future__ import annotations

import pytest

from sitewatch.push.signing import sign, verify

SECRET = "0123456789abcdef-shared"
BODY = b'{"seq":1}'


def test_signature_verifies():
    assert verify(SECRET, sign(SECRET, 1_700_000_000, BODY), "1700000000", BODY, now=1_700_000_010)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        ("another-secret-of-16", "1700000000", BODY, 1_700_000_010),  # wrong secret
        (SECRET, "1700000000", b'{"seq":2}', 1_700_000_010),  # tampered body
        (SECRET, "1700000001", BODY, 1_700_000_010),  # timestamp not the one signed
        (SECRET, "1700000000", BODY, 1_700_009_999),  # too old: a replay
        (SECRET, "soon", BODY, 1_700_000_010),  # not a timestamp
    ],
)
def test_anything_changed_fails(secret, timestamp, body, now):
    signature = sign(SECRET, 1_700_000_000, BODY)
    assert not verify(secret, signature, timestamp, body, now=now)


def test_signature_format():
    signature = sign(SECRET, 1, b"")
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64


@pytest.mark.parametrize("signature", ["sha256=é", "sha256=\udcff", "", None, b"sha256=00"])
def test_a_malformed_signature_is_false_not_an_error(signature):
    assert not verify(SECRET, signature, "1700000000", BODY, now=1_700_000_010)


def test_signature_as_bytes_verifies():
    signature = sign(SECRET, 1_700_000_000, BODY).encode()
    assert verify(SECRET, signature, "1700000000", BODY, now=1_700_000_010)
