"""``histograms:`` of the YAML file: each histogram's axes (the framework adds its own two).

An axis's ``type`` may be left out where its keys say it: ``edges`` make a variable axis,
``categories`` a category axis, anything else a regular one.

Example:
    >>> h = Histogram.model_validate({"axes": [
    ...     {"name": "m4l", "bins": 36, "start": 70, "stop": 180},
    ...     {"name": "channel", "categories": ["4mu", "4e", "2e2mu"]}]})
    >>> [a.type for a in h.axes]
    ['regular', 'category']
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import IDENTIFIER, ConfigModel

__all__ = [
    "RESERVED_AXES",
    "Axis",
    "CategoryAxis",
    "Histogram",
    "IntegerAxis",
    "RegularAxis",
    "VariableAxis",
]

RESERVED_AXES = ("dataset", "systematic", "weight", "where")
"""Names a user axis may not take: the framework's own axes on every histogram, and the
keywords of ``out.fill`` that are not axes."""


class _AxisBase(ConfigModel):
    name: str = Field(
        pattern=IDENTIFIER,
        description="The axis name, which ``out.fill`` takes as a keyword (not "
        + " or ".join(RESERVED_AXES)
        + ").",
    )
    label: str | None = Field(
        default=None,
        description="The axis label (default its name); mathtext allowed: ``$m_{4\\ell}$``.",
    )

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_AXES:
            raise ValueError(
                f"the axis name {name!r} is reserved (the framework's own axes and out.fill's "
                f"keywords: {', '.join(RESERVED_AXES)})"
            )
        return name


class RegularAxis(_AxisBase):
    """``{name: mass, bins: 100, start: 0.25, stop: 300, transform: log}``

    Example:
        >>> RegularAxis(name="mass", bins=10, start=0, stop=100).type
        'regular'
    """

    type: Literal["regular"] = Field(default="regular", description="Bins of equal width.")
    bins: int = Field(gt=0, description="The number of bins.")
    start: float = Field(description="The lower edge of the first bin.")
    stop: float = Field(description="The upper edge of the last bin.")
    transform: Literal["log", "sqrt"] | None = Field(
        default=None, description="Bins equal in log or sqrt of the value instead."
    )

    @model_validator(mode="after")
    def _ordered(self) -> RegularAxis:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop}) must be greater than start ({self.start})")
        if self.transform == "log" and self.start <= 0:
            raise ValueError(f"a log axis needs start > 0, got {self.start}")
        return self


class VariableAxis(_AxisBase):
    """``{name: pt, edges: [0, 10, 20, 50, 100]}``

    Example:
        >>> VariableAxis(name="pt", edges=[0, 10, 50]).type
        'variable'
    """

    type: Literal["variable"] = Field(default="variable", description="Bins of given edges.")
    edges: list[float] = Field(min_length=2, description="The bin edges, strictly increasing.")

    @field_validator("edges")
    @classmethod
    def _increasing(cls, edges: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError("edges must be strictly increasing")
        return edges


class IntegerAxis(_AxisBase):
    """``{name: njets, type: integer, start: 0, stop: 10}`` (one bin per integer)

    Example:
        >>> IntegerAxis(name="njets", start=0, stop=10).stop
        10
    """

    type: Literal["integer"] = Field(default="integer", description="One bin per integer.")
    start: int = Field(description="The first integer.")
    stop: int = Field(description="One past the last integer.")

    @model_validator(mode="after")
    def _ordered(self) -> IntegerAxis:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop}) must be greater than start ({self.start})")
        return self


class CategoryAxis(_AxisBase):
    """``{name: channel, categories: [4mu, 4e, 2e2mu]}`` (string categories)

    Example:
        >>> CategoryAxis(name="channel", categories=["4mu", "4e"]).categories
        ['4mu', '4e']
    """

    type: Literal["category"] = Field(default="category", description="String categories.")
    categories: list[str] = Field(min_length=1, description="The categories, in order.")
    growth: bool = Field(
        default=False, description="Whether a category not listed is added when filled."
    )


def _infer_axis_type(value: Any) -> Any:
    """Let ``type:`` be omitted where the keys say it: edges → variable, categories → category."""
    if isinstance(value, dict) and "type" not in value:
        if "edges" in value:
            return {**value, "type": "variable"}
        if "categories" in value:
            return {**value, "type": "category"}
        return {**value, "type": "regular"}
    return value


Axis = Annotated[
    RegularAxis | VariableAxis | IntegerAxis | CategoryAxis,
    Field(discriminator="type"),
]
"""One axis of a histogram, told apart by its ``type``."""


class Histogram(ConfigModel):
    """A histogram to book: its axes; the framework adds the dataset and systematic axes.

    Example:
        >>> Histogram(axes=[RegularAxis(name="pt", bins=20, start=0, stop=200)]).label is None
        True
    """

    axes: list[Axis] = Field(
        min_length=1,
        description="The axes, each with a unique name; ``type`` is inferred where left out.",
    )
    label: str | None = Field(
        default=None, description="The label of what is counted (default ``Events``)."
    )

    @field_validator("axes", mode="before")
    @classmethod
    def _axis_types(cls, axes: Any) -> Any:
        return [_infer_axis_type(a) for a in axes] if isinstance(axes, list) else axes

    @field_validator("axes")
    @classmethod
    def _unique_names(cls, axes: list[Any]) -> list[Any]:
        names = [a.name for a in axes]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"axis names must be unique, repeated: {', '.join(duplicated)}")
        return axes
