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

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

__all__ = ["IDENTIFIER", "NAME", "ConfigModel", "Name"]

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
"""A name the code uses as an identifier: an axis, a scale factor (its systematic's name)."""

NAME = r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$"
"""A name that becomes part of a path or a histogram: the analysis, a dataset, a histogram, a
plot. No '/' and no leading '.': such a name cannot be ``..`` nor leave the output directory,
and no result can be named like the hidden ``.<name>.run`` beside another."""


def _path_name(value: str) -> str:
    if not re.match(NAME, value):
        raise ValueError(
            "names a file or directory of the result: letters, digits, '_', '-' and '.' "
            "(not first) only, so that it stays inside the output directory"
        )
    return value


Name = Annotated[str, AfterValidator(_path_name)]
"""A :data:`NAME`, checked with a message that says why (for a field or a key of a mapping).

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Name).validate_python("m4l_4mu")
    'm4l_4mu'
    >>> try:
    ...     TypeAdapter(Name).validate_python("../elsewhere")
    ... except ValueError as err:
    ...     print(err.errors()[0]["msg"])  # doctest: +ELLIPSIS
    Value error, names a file or directory of the result: letters, digits, ... (not first) only...
"""


class ConfigModel(BaseModel):
    """Base of the models of the YAML file: unknown keys are errors, assignments checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
