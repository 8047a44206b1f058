"""API keys: only a hash is stored, roles are ordered, revoked or malformed keys are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sitewatch.store.keys import Role, create_key, revoke_key, verify_key
from sitewatch.store.models import ApiKey, AuditEntry


@pytest.fixture
def sqlite_store(tmp_path):
    from sitewatch.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'k.db'}")
    yield store
    store.close()


def test_key_round_trip_stores_only_a_hash(sqlite_store):
    with sqlite_store.session() as session, session.begin():
        key = create_key(session, Role.OPERATOR, sites=["b", "a", "a"], name="inspectorate")
    secret = key.split("_", 2)[2]
    with sqlite_store.session() as session:
        row = session.scalars(select(ApiKey)).one()
        assert secret not in row.secret_sha256 and row.sites == ["a", "b"]
        principal = verify_key(session, key)
        assert principal.role is Role.OPERATOR and principal.sites == {"a", "b"}
        audit = session.scalars(select(AuditEntry)).one()
        assert audit.action == "key.create" and secret not in str(audit.after)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k + "x",
        lambda k: k[:-1],
        lambda k: k.replace("sw_", "xx_", 1),
        lambda k: "sw__" + k.split("_", 2)[2],
        lambda k: "",
        lambda k: "sw_" + "0" * 40 + "_abc",
    ],
)
def test_wrong_keys_are_refused(sqlite_store, mangle):
    with sqlite_store.session() as session, session.begin():
        key = create_key(session, Role.ADMIN)
    with sqlite_store.session() as session:
        assert verify_key(session, mangle(key)) is None


def test_revoked_key_is_refused(sqlite_store):
    with sqlite_store.session() as session, session.begin():
        key = create_key(session, Role.VIEWER)
    key_id = key.split("_")[1]
    with sqlite_store.session() as session, session.begin():
        assert revoke_key(session, key_id)
        assert not revoke_key(session, key_id)
    with sqlite_store.session() as session:
        assert verify_key(session, key) is None


@pytest.mark.parametrize(
    ("role", "minimum", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.OPERATOR, False),
        (Role.OPERATOR, Role.VIEWER, True),
        (Role.OPERATOR, Role.ADMIN, False),
        (Role.ADMIN, Role.OPERATOR, True),
    ],
)
def test_role_order(role, minimum, allowed):
    assert role.at_least(minimum) is allowed
