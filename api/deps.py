"""Shared dependencies: the store and a database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sitewatch.config.api import ApiSettings
from sitewatch.store import Store


def store_of(request: Request) -> Store:
    return request.app.state.store


def api_settings(request: Request) -> ApiSettings:
    return request.app.state.api_settings


def db_session(request: Request) -> Iterator[Session]:
    with store_of(request).session() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]
StoreDep = Annotated[Store, Depends(store_of)]
ApiSettingsDep = Annotated[ApiSettings, Depends(api_settings)]
