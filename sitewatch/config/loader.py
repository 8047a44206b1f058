"""Read a YAML config file into ``Settings``; errors are user errors, never tracebacks."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from sitewatch.config.settings import Settings


class ConfigError(Exception):
    """A config file that cannot be used; ``lines`` holds one message per problem."""

    def __init__(self, path: Path, lines: list[str]):
        self.path = path
        self.lines = lines
        super().__init__("\n".join(lines))


def load_settings(path: Path | None) -> Settings:
    """Build ``Settings`` from ``path`` (defaults when None)."""
    if path is None:
        return Settings()
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as exc:
        raise ConfigError(path, [f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(path, [f"{path}: the top level must be a mapping of sections"])
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ConfigError(path, lines) from None
