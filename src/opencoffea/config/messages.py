"""Pydantic's errors as a person reads them: file, line, key path, what is wrong, what is allowed.

One line per mistake: ``analysis.yaml, line 10, datasets.DY.gruop: unknown key 'gruop'
(did you mean 'group'?); allowed here: files, record, ...``. The line is that of the key
where the file has it, else of the nearest key above it (a missing key is reported at the
mapping that lacks it).

Example:
    >>> lines = {(): 1, ("datasets",): 2, ("datasets", "DY"): 3}
    >>> located("a.yaml", lines, ("datasets", "DY", "xsec"), "this key is required")
    'a.yaml, line 3, datasets.DY.xsec: this key is required'
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..util import did_you_mean
from .analysis import AnalysisConfig

__all__ = ["describe", "join", "located"]


def describe(err: ValidationError, data: Any, lines: dict[tuple, int], source: str) -> str:
    """Pydantic's errors of validating ``data`` (read from ``source``), one line each.

    Example:
        >>> data = {"name": "demo", "datasets": {"DY": {"files": ["dy.root"], "kind": "daat"}}}
        >>> lines = {(): 1, ("datasets",): 2, ("datasets", "DY"): 3, ("datasets", "DY", "kind"): 4}
        >>> try:
        ...     AnalysisConfig.model_validate(data)
        ... except ValidationError as err:
        ...     for part in describe(err, data, lines, "a.yaml").split("; "):
        ...         print(part)
        a.yaml, line 4, datasets.DY.kind: 'daat' is not allowed (did you mean 'data'?)
        allowed: data, mc
    """
    messages = []
    for item in err.errors(include_url=False):
        path = _data_path(data, item["loc"], item["type"] in ("missing", "extra_forbidden"))
        messages.append(located(source, lines, path, _explain(item, path)))
    return join(messages)


def located(source: str, lines: dict[tuple, int], path: tuple, message: str) -> str:
    """``source, line N, key.path: message``, N the line of ``path`` or of the nearest above."""
    where = ".".join(map(str, path)) or "(top level)"
    return f"{source}, line {_nearest_line(path, lines)}, {where}: {message}"


def join(messages: list[str]) -> str:
    """The messages, each once, under a count where there are several.

    Example:
        >>> print(join(["a.yaml, line 2, x: bad", "a.yaml, line 5, y: bad"]))
        2 problems in the configuration:
        a.yaml, line 2, x: bad
        a.yaml, line 5, y: bad
    """
    unique = list(dict.fromkeys(messages))
    head = f"{len(unique)} problems in the configuration:\n" if len(unique) > 1 else ""
    return head + "\n".join(unique)


def _nearest_line(path: tuple, lines: dict[tuple, int]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _data_path(data: Any, loc: Iterable[Any], names_a_key: bool) -> tuple:
    """The part of a pydantic error location that is a real path in the data.

    Pydantic puts union tags and validator names into ``loc``; they are not keys of the file.
    ``names_a_key``: the error is about a key that is missing or unknown, so the last
    element of the location is a key even though the data does not have it.
    """
    path: list[Any] = []
    node = data
    parts = list(loc)
    for index, part in enumerate(parts):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif names_a_key and isinstance(node, dict) and index == len(parts) - 1:
            path.append(part)  # a missing or unknown key: the last element of the location
            break
        else:
            continue  # a union tag or validator name, not a key of the file
        path.append(part)
    return tuple(path)


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The model that owns the mapping at ``path`` (to list the keys allowed there)."""
    model: Any = AnalysisConfig
    keyed = False  # the next path part is a key of a dict (a dataset name, say), not a field
    for part in path:
        if keyed or isinstance(part, int):
            keyed = False
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return None
        keyed = typing.get_origin(_unwrap(field.annotation)) is dict
        model = _inner_model(field.annotation)
    return model


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _explain(item: ErrorDetails, path: tuple) -> str:
    kind = item["type"]
    given = item.get("input")
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        allowed = _allowed_keys(path[:-1])
        return (
            f"unknown key {key!r}"
            + did_you_mean(str(key), allowed)
            + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        )
    if kind == "missing":
        return "this key is required"
    if kind in ("literal_error", "union_tag_invalid"):
        ctx = item.get("ctx", {})
        expected = ctx.get("expected", "") or ctx.get("expected_tags", "")
        options = re.findall(r"'([^']*)'", expected)
        shown = given.get("type") if isinstance(given, dict) else given
        return (
            f"{shown!r} is not allowed"
            + did_you_mean(str(shown), options)
            + f"; allowed: {', '.join(options) or expected}"
        )
    message = item["msg"].removeprefix("Value error, ")
    if given is not None and not isinstance(given, (dict, list)):
        return f"{message} (given: {given!r})"
    return message


def _allowed_keys(path: tuple) -> list[str]:
    model = _model_at(path)
    if model is None:
        return []
    return [name for name, f in model.model_fields.items() if not f.exclude]
