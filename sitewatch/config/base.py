"""Common base for every configuration section."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section: unknown keys are errors, values are immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)
