"""What every model of the YAML file shares: unknown keys are errors; names and patterns.

Example:
    >>> class Section(ConfigModel):
    ...     size: int = 1
    >>> Section(sise=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Section
    ...
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["IDENTIFIER", "NAME", "ConfigModel"]

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
"""A name the code uses as an identifier: an axis, a scale factor (its systematic's name)."""

NAME = r"^[A-Za-z0-9_.\-]+$"
"""A name that becomes part of a path or a histogram: the analysis, a dataset, a histogram."""


class ConfigModel(BaseModel):
    """Base of the models of the YAML file: unknown keys are errors, assignments checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
