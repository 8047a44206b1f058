"""Validation problems that point at a field deeper than the validator that found them.

Pydantic gives an error raised inside a validator the location of that
validator (a list, a model). A check that spans several values (a camera's
site must exist, ids must be unique) knows better which field is wrong, so it
raises ``ConfigProblems`` with locations relative to the validated value; the
loader appends them to pydantic's location to name the exact YAML line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Loc = tuple[str | int, ...]


class ConfigProblems(ValueError):
    """One or more problems, each a (relative location, message) pair."""

    def __init__(self, problems: Sequence[tuple[Loc, str]]):
        self.problems: tuple[tuple[Loc, str], ...] = tuple((tuple(loc), msg) for loc, msg in problems)
        # The plain message still names the fields, for callers that print str(error).
        super().__init__(
            "; ".join(f"{'.'.join(map(str, loc))}: {msg}" if loc else msg for loc, msg in self.problems)
        )


def raise_if_any(problems: Sequence[tuple[Loc, str]]) -> None:
    if problems:
        raise ConfigProblems(problems)


def duplicate_id_problems(ids: Iterable[str], what: str) -> list[tuple[Loc, str]]:
    """A problem at ``(index, "id")`` for every id already used by an earlier item."""
    first_index: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for index, id_ in enumerate(ids):
        if id_ in first_index:
            problems.append(
                ((index, "id"), f"duplicate {what} id '{id_}' (item {first_index[id_]} has it too)")
            )
        else:
            first_index[id_] = index
    return problems
