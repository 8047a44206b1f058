"""A throw-away PostgreSQL server for tests that need a real one (store, API).

Its fixtures, ``pg_server`` (one per test session) and ``pg_url`` (a fresh
database on it), are registered in tests/conftest.py for the whole tree.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import stat
import tempfile
import time
import uuid
from pathlib import Path

import pytest


def _pg_ctl() -> str | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else shutil.which("pg_ctl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A throw-away PostgreSQL cluster driven by pytest-postgresql's executor (pg_ctl)."""

    def __init__(self, executor, base: Path):
        self.executor = executor
        self.base = base
        self.host, self.port = executor.host, executor.port

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"

    def create_database(self) -> str:
        import psycopg

        name = f"sw_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        self.executor.stop()

    def start(self) -> None:
        self.executor.start()
        self.wait_until_accepting()

    def wait_until_accepting(self, within_s: float = 60.0) -> None:
        # pg_ctl returns once the postmaster is up; connections may still be refused for a moment
        import psycopg

        deadline = time.monotonic() + within_s
        while True:
            try:
                psycopg.connect(
                    host=self.host, port=self.port, user="postgres", dbname="postgres", connect_timeout=2
                ).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL did not accept connections within {within_s:.0f} s"
                    ) from None
                time.sleep(0.05)


@pytest.fixture(scope="session")
def pg_server():
    pg_ctl = _pg_ctl()
    if pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (pg_ctl) not installed: apt-get install postgresql")
    from pytest_postgresql.executors import PostgreSQLExecutor

    base = Path(tempfile.mkdtemp(prefix="sitewatch-pg-"))
    executable = pg_ctl
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run pg_ctl as the 'postgres' system user instead.
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop privileges for PostgreSQL")
        os.chown(base, user.pw_uid, user.pw_gid)
        base.chmod(0o755)
        wrapper = base / "pg_ctl"
        wrapper.write_text(
            f"#!/bin/sh\nexec {setpriv} --reuid={user.pw_uid} --regid={user.pw_gid} --clear-groups "
            f'{pg_ctl} "$@"\n'
        )
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        executable = str(wrapper)
    executor = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=_free_port(),
        datadir=str(base / "data"),
        unixsocketdir=str(base),
        logfile=str(base / "postgresql.log"),
        startparams="-w",
        dbname="postgres",
        user="postgres",
        timeout=60,
    )
    executor.start()
    server = PgServer(executor, base)
    try:
        server.wait_until_accepting()
        yield server
    finally:
        try:
            executor.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    return pg_server.url(pg_server.create_database())


