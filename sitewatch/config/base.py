"""Common base for every configuration section."""

import functools
import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class Section(BaseModel):
    """A config section: unknown keys are errors, values are immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_sections_are_absent(cls, data: Any) -> Any:
        # `permits:` with every item commented out is null in YAML; the docs promise that
        # every section is optional, so an empty one means left out, not "not a list".
        if not isinstance(data, dict):
            return data
        nested = _section_fields(cls)
        return {key: value for key, value in data.items() if value is not None or key not in nested}


@functools.cache
def _section_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that hold a section or a list of them."""
    return frozenset(name for name, field in model.model_fields.items() if _holds_sections(field.annotation))


def _holds_sections(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Annotated, tuple, list):
        return _holds_sections(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_holds_sections(a) for a in typing.get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
