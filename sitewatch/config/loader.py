"""Read a YAML config file into ``Settings``; errors are user errors, never tracebacks.

Every problem becomes one line that names the file, the YAML line and the
dotted path of the field, e.g.::

    site.yaml:12: sites.0.timezone: unknown IANA timezone 'Europe/Berln' (e.g. ...)
    site.yaml:7: sites.0.timezon: unknown key (did you mean 'timezone'?)

Line numbers come from the YAML node tree (``yaml.compose``): every mapping
key and sequence item is indexed by its path before the document is built,
and a pydantic error is reported at the line of the longest indexed prefix of
its location (a missing field points at the mapping that lacks it).

The YAML types follow YAML 1.2 rather than PyYAML's YAML 1.1 defaults:
``on``/``off``/``yes``/``no`` stay strings (``tiles: off`` means "off", not
false) and ``22:00`` stays a string instead of becoming the base-60 number 1320.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sitewatch.config.problems import ConfigProblems, Loc
from sitewatch.config.settings import Settings

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

# Values in the document once aliases are expanded, beyond the nodes written out:
# a "billion laughs" file of nested aliases would otherwise take minutes and
# gigabytes to index and validate. A real config reuses a few blocks (a shared
# polygon, merged defaults), far below this.
_MAX_ALIAS_EXPANSION = 100_000


class _ConfigYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema booleans and numbers."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            # An impossible date or time (2025-02-30, 10:61) stays text, so the field's
            # own validator reports it at its line instead of PyYAML raising mid-document.
            return self.construct_scalar(node)


_ConfigYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in {_BOOL_TAG, _INT_TAG, _FLOAT_TAG}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_ConfigYamlLoader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"), list("-+0123456789")
)
_ConfigYamlLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_ConfigYamlLoader.add_constructor(_TIMESTAMP_TAG, _ConfigYamlLoader.construct_yaml_timestamp)


class ConfigError(Exception):
    """A config file that cannot be used; ``lines`` holds one message per problem."""

    def __init__(self, path: Path, lines: list[str]):
        self.path = path
        self.lines = lines
        super().__init__("\n".join(lines))


def load_settings(path: Path | None) -> Settings:
    """Build ``Settings`` from ``path`` (defaults when None); raises ``ConfigError``."""
    if path is None:
        return Settings()
    data, line_of, problems = _read_yaml(Path(path))
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += _located_problems(exc, line_of)
    if problems:
        # Stable sort: problems on one line keep the order they were found in.
        problems.sort(key=lambda problem: problem[0])
        raise ConfigError(path, [f"{path}:{line}: {text}" for line, text in problems])
    return settings


# -- YAML --------------------------------------------------------------------
def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[Loc, int], list[tuple[int, str]]]:
    """The document as plain data, the 1-based line of every key and item path in it, and duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ConfigError(path, [f"{path}: not UTF-8 text"]) from None
    loader = _ConfigYamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return {}, {}, []
        _check_aliases(path, root)
        line_of: dict[Loc, int] = {(): root.start_mark.line + 1}
        duplicates: list[tuple[int, str]] = []
        _index_lines(loader, root, (), line_of, duplicates)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else f"{path}"
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(path, [f"{where}: YAML syntax error: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"{path}: YAML error: {exc}"]) from None
    except RecursionError:
        # PyYAML composes and constructs recursively: thousands of nested brackets exhaust the stack.
        raise ConfigError(path, [f"{path}: YAML nested too deeply"]) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}, duplicates
    if not isinstance(data, dict):
        raise ConfigError(
            path, [f"{path}:{root.start_mark.line + 1}: the top level must be a mapping of sections"]
        )
    return data, line_of, duplicates


def _check_aliases(path: Path, root: yaml.Node) -> None:
    """Refuse an alias that contains itself, or aliases that expand past ``_MAX_ALIAS_EXPANSION`` values.

    An alias is the very node object its anchor made, so a node met twice was
    reached through an alias, and a node met again inside itself is a cycle.
    Merge keys count too: PyYAML copies merged content into the mapping.
    """
    seen: set[int] = set()
    inside: set[int] = set()
    expanded = 0

    def visit(node: yaml.Node) -> None:
        nonlocal expanded
        line = node.start_mark.line + 1
        if id(node) in inside:
            raise ConfigError(path, [f"{path}:{line}: a YAML alias refers to the anchor it is inside"])
        if id(node) in seen:
            expanded += 1
            if expanded > _MAX_ALIAS_EXPANSION:
                problem = f"YAML aliases expand to more than {_MAX_ALIAS_EXPANSION} values"
                raise ConfigError(path, [f"{path}:{line}: {problem}; write the repeated parts out"])
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return
        inside.add(id(node))
        for child in node.value:
            for part in child if isinstance(child, tuple) else (child,):
                visit(part)
        inside.discard(id(node))

    visit(root)


def _index_lines(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Loc,
    line_of: dict[Loc, int],
    duplicates: list[tuple[int, str]],
) -> None:
    if isinstance(node, yaml.MappingNode):
        # By tag and value: 1 and true are different keys, though 1 == True in Python.
        first_line: dict[tuple[str, Any], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue  # merged or complex keys: their errors point at the enclosing mapping
            key = (
                key_node.value
                if key_node.tag == "tag:yaml.org,2002:str"
                else loader.construct_object(key_node)
            )
            line = key_node.start_mark.line + 1
            if (key_node.tag, key) in first_line:
                where = ".".join(map(str, path + (key,)))
                first = first_line[key_node.tag, key]
                duplicates.append((line, f"{where}: duplicate key (first given on line {first})"))
                continue
            first_line[key_node.tag, key] = line
            # setdefault: the built dict keeps the first of 1 and true (equal in Python) as its key.
            line_of.setdefault(path + (key,), line)
            _index_lines(loader, value_node, path + (key,), line_of, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            line_of[path + (index,)] = item.start_mark.line + 1
            _index_lines(loader, item, path + (index,), line_of, duplicates)


# -- errors ------------------------------------------------------------------
def _located_problems(exc: ValidationError, line_of: dict[Loc, int]) -> list[tuple[int, str]]:
    errors = exc.errors()
    # A misspelt required key is one mistake: report the unknown key (with its
    # suggestion), not also the field it failed to set.
    meant = {
        tuple(e["loc"][:-1]) + (_closest_field(tuple(e["loc"])),)
        for e in errors
        if e["type"] == "extra_forbidden"
    }
    problems = []
    for err in errors:
        if err["type"] == "missing" and tuple(err["loc"]) in meant:
            continue
        for loc, message in _explain(err):
            if loc and isinstance(loc[-1], int) and loc not in line_of and loc[:-1] in line_of:
                loc = loc[:-1]  # a single value the model wrapped in a list: name it as written
            field = ".".join(map(str, loc))
            problems.append((_line_for(loc, line_of), f"{field}: {message}" if field else message))
    return problems


def _explain(err: ErrorDetails) -> Iterator[tuple[Loc, str]]:
    """One or more (location, message) pairs for one pydantic error; never includes the input value."""
    loc = tuple(err["loc"])
    kind = err["type"]
    cause = (err.get("ctx") or {}).get("error")
    if kind == "value_error" and isinstance(cause, ConfigProblems):
        for relative, message in cause.problems:
            yield loc + relative, message
    elif kind == "value_error" and cause is not None:
        yield loc, str(cause)
    elif kind == "extra_forbidden":
        yield loc, "unknown key" + _suggestion(loc)
    elif kind == "missing":
        yield loc, "required field is missing"
    else:
        yield loc, err["msg"]


def _line_for(loc: Loc, line_of: dict[Loc, int]) -> int:
    for end in range(len(loc), -1, -1):
        line = line_of.get(loc[:end])
        if line is not None:
            return line
    return 1


def _suggestion(loc: Loc) -> str:
    close = _closest_field(loc)
    return f" (did you mean '{close}'?)" if close else ""


def _closest_field(loc: Loc) -> str | None:
    """The field name of the mapping at ``loc[:-1]`` that ``loc[-1]`` looks like a misspelling of."""
    if not loc or not isinstance(loc[-1], str):
        return None
    model = _model_at(Settings, loc[:-1])
    if model is None:
        return None
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
    return close[0] if close else None


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` under ``model``, if one can be told."""
    current: Any = model
    for part in loc:
        if isinstance(part, str):
            if (
                not (isinstance(current, type) and issubclass(current, BaseModel))
                or part not in current.model_fields
            ):
                return None
            current = _strip(current.model_fields[part].annotation)
        else:
            args = typing.get_args(current)
            if typing.get_origin(current) not in (tuple, list) or not args:
                return None
            current = _strip(args[0])
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _strip(annotation: Any) -> Any:
    """Drop ``Annotated`` and ``None`` from an annotation (``X | None`` -> ``X``)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
