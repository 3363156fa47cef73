"""Reading a YAML analysis file: safe YAML, the line of every key, validation, cross-checks.

Top-level keys starting with ``x-`` are ignored: a place for YAML anchors (``&name``) that
the rest of the file reuses (``*name``). A key given twice in one mapping is an error (YAML
would silently keep the last). Every mistake found is reported at once, each with its file,
line and key (:mod:`opencoffea.config.messages`).

Example:
    >>> cfg = load_config("configs/dimuon_demo.yaml")
    >>> cfg.datasets["DoubleMuon"].kind
    'data'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .analysis import AnalysisConfig
from .checks import cross_check
from .messages import describe, join, located

__all__ = ["load_config", "parse_config"]


def load_config(path: str | Path) -> AnalysisConfig:
    """Read and validate a YAML analysis file.

    Raises :class:`~opencoffea.errors.ConfigError` naming the file, line and key for every
    mistake found.

    Example:
        >>> cfg = load_config("configs/dimuon_demo.yaml")
        >>> sorted(cfg.histograms)
        ['mass', 'pt']
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (IsADirectoryError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read as a YAML text file ({err})") from None
    return parse_config(text, source=path)


def parse_config(text: str, source: str | Path = "<string>") -> AnalysisConfig:
    """Validate YAML text as an analysis configuration (see :func:`load_config`).

    Example:
        >>> cfg = parse_config('''
        ... name: demo
        ... processor: analyses/dimuon.py:DimuonSpectrum
        ... datasets: {d: {files: [x.root], kind: data}}
        ... ''')
        >>> cfg.execution.executor
        'iterative'
    """
    data, lines = _load_yaml(text, str(source))
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the file must be a mapping of keys (name:, processor:, ...)")
    # Top-level keys starting with "x-" are the file's own (a place for YAML anchors to be
    # reused below, as in docker-compose): not configuration, so not validated.
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    try:
        config = AnalysisConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(describe(err, data, lines, str(source))) from None
    problems = [located(str(source), lines, path, msg) for path, msg in cross_check(config)]
    if problems:
        raise ConfigError(join(problems))
    if source != "<string>":
        config.source = Path(source).resolve()
    config._lines = lines
    return config


def _load_yaml(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """Safe-load YAML and remember the line of every key path (for error messages)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{where}: not valid YAML: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML: {err}") from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, (), lines, source)
    return data, lines


def _index_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int], source: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                line = key_node.start_mark.line + 1
                where = ".".join(map(str, (*path, key)))
                raise ConfigError(f"{source}, line {line}, {where}: key given twice")
            seen.add(key)
            here = (*path, key)
            _index_lines(value_node, here, lines, source)
            lines[here] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, source)
