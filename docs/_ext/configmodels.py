"""The models of an analysis's YAML file, found from the root model, and their reference as RST.

Nothing here is written by hand: the sections, keys, types and defaults are read from the
pydantic models of :mod:`opencoffea.config`, and the descriptions from their ``Field``\\ s, so a
field added to a model is in the reference at the next build. Sphinx is not needed here:
``tests/test_docs.py`` walks the same models to check that every field has a description.

Example:
    >>> from opencoffea.config import AnalysisConfig
    >>> [(s.path, s.model.__name__) for s in sections(AnalysisConfig)][:3]
    [('', 'AnalysisConfig'), ('datasets.<name>', 'Dataset'), ('datasets.<name>.generate', \
'GeneratedSample')]
    >>> from opencoffea.config import Execution
    >>> type_text(Execution.model_fields["executor"].annotation, link=str)
    '"iterative" | "futures" | "dask"'
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

# How each kind of bound reads in the type column ("int > 0").
_BOUNDS = {
    annotated_types.Gt: ("gt", "> {}"),
    annotated_types.Ge: ("ge", "≥ {}"),
    annotated_types.Lt: ("lt", "< {}"),
    annotated_types.Le: ("le", "≤ {}"),
    annotated_types.MinLen: ("min_length", "at least {} items"),
    annotated_types.MaxLen: ("max_length", "at most {} items"),
}
_PLAIN = {int: "int", float: "float", str: "str", bool: "bool", Any: "any"}


@dataclass(frozen=True)
class Section:
    """One model of the file and the key path where it is written (``execution.cluster``)."""

    path: str
    model: type[BaseModel]

    @property
    def anchor(self) -> str:
        """The label of its section in the reference, which the types of other keys link."""
        return anchor(self.model)


def anchor(model: type[BaseModel]) -> str:
    """The reference label of a model's section: ``yaml-<class name>``."""
    return f"yaml-{model.__name__.lower()}"


def sections(root: type[BaseModel]) -> list[Section]:
    """Every model of the file, depth first from ``root``, each where it is first met.

    A mapping's keys are written ``<name>`` and a list's items ``[]`` in the path:
    ``histograms.<name>.axes[]``.
    """
    found: dict[type[BaseModel], Section] = {}

    def visit(model: type[BaseModel], path: str) -> None:
        if model in found:
            return
        found[model] = Section(path, model)
        for name, field in keys(model).items():
            for nested, suffix in _models_in(field.annotation):
                visit(nested, f"{path}.{name}{suffix}".lstrip("."))

    visit(root, "")
    return list(found.values())


def keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The keys a YAML file may write: the fields, less those the loader sets (excluded)."""
    return {name: f for name, f in model.model_fields.items() if not f.exclude}


def _models_in(annotation: Any, suffix: str = "") -> Iterator[tuple[type[BaseModel], str]]:
    """The models an annotation holds, with the path suffix that reaches each."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        yield from _models_in(args[0], suffix)
    elif origin in (Union, types.UnionType):
        for arg in args:
            yield from _models_in(arg, suffix)
    elif origin in (list, tuple):
        for arg in args:
            yield from _models_in(arg, suffix + "[]")
    elif origin is dict:
        yield from _models_in(args[1], suffix + ".<name>")
    elif inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        yield annotation, suffix


def type_text(annotation: Any, link: Callable[[type[BaseModel]], str], literal: str = "{}") -> str:
    """An annotation as a reader of YAML reads it: ``list[str]``, ``"a" | "b"``, a model linked.

    ``None`` is left out of unions: what a missing key means is the default's column. Each
    allowed value of a ``Literal`` is written as JSON (which YAML reads) into ``literal``.
    """
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return type_text(args[0], link, literal)
    if origin in (Union, types.UnionType):
        return " | ".join(type_text(a, link, literal) for a in args if a is not type(None))
    if origin is Literal:
        return " | ".join(literal.format(json.dumps(value)) for value in args)
    if origin is tuple and args[-1:] != (Ellipsis,):
        return "[" + ", ".join(type_text(a, link, literal) for a in args) + "]"
    if origin in (list, tuple):
        return f"list[{type_text(args[0], link, literal)}]"
    if origin is dict:
        return f"dict[{type_text(args[0], link, literal)}, {type_text(args[1], link, literal)}]"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return link(annotation)
    return _PLAIN.get(annotation, getattr(annotation, "__name__", str(annotation)))


def bounds_text(field: FieldInfo) -> str:
    """The field's bounds, as ``> 0`` or ``not empty``; empty without any."""
    texts = []
    for meta in field.metadata:
        if isinstance(meta, annotated_types.MinLen) and meta.min_length == 1:
            texts.append("not empty")
        elif type(meta) in _BOUNDS:
            attribute, text = _BOUNDS[type(meta)]
            texts.append(text.format(getattr(meta, attribute)))
    return ", ".join(texts)


def default_text(field: FieldInfo) -> str:
    """The default as YAML would write it (JSON, which YAML reads), or ``required``."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):  # a section of its own, all its keys at their defaults
        value = value.model_dump(exclude_defaults=True)
    return json.dumps(value, ensure_ascii=False)


def summary(model: type[BaseModel]) -> str:
    """The model's docstring up to its example: what the section is, in the code's words."""
    text = inspect.cleandoc(model.__doc__ or "")
    return text.split("\nExample:")[0].strip()


def reference_rst(root: type[BaseModel], extra_keys: Callable[[Section], str]) -> str:
    """The YAML reference of ``root`` and every model in it, as RST: a section a model.

    Each section has the model's summary and a table of its keys: type (with bounds),
    default, description. ``extra_keys(section)`` is RST for the keys a model takes beyond
    its fields (``execution.cluster``'s batch-system options), or ``""``.
    """

    def link(model: type[BaseModel]) -> str:
        return f":ref:`{model.__name__} <{anchor(model)}>`"

    lines: list[str] = []
    for section in sections(root):
        title = f"``{section.path}`` — {section.model.__name__}" if section.path else "Top level"
        lines += [f".. _{section.anchor}:", "", title, "-" * len(title), "", summary(section.model)]
        lines += ["", ".. list-table::", "   :header-rows: 1", "   :widths: 18 28 14 40", ""]
        lines += _row("key", "type", "default", "description")
        for name, field in keys(section.model).items():
            kind = type_text(field.annotation, link, literal="``{}``")
            bounds = bounds_text(field)
            lines += _row(
                f"``{name}``",
                f"{kind}, {bounds}" if bounds else kind,
                f"``{default_text(field)}``" if not field.is_required() else "*required*",
                field.description or "",
            )
        lines += ["", extra_keys(section), ""]
    return "\n".join(lines)


def _row(*cells: str) -> list[str]:
    """One row of a ``list-table``; a cell's own lines are indented under its bullet."""
    first, *rest = cells
    return [f"   * - {first}", *(f"     - {cell}" for cell in rest)]
