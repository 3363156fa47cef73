"""The parts of the site that the project's own files write, so that they cannot fall behind.

- ``.. yaml-reference::`` (in an RST page): every key of the YAML file, section by section,
  from the pydantic models of :mod:`opencoffea.config` (see ``configmodels.py``);
- ``{extras}`` (in any page): the optional extras of ``pyproject.toml``, each with its
  packages and the comment written above it there;
- ``{glob-toctree}``: a toctree of the documents its patterns match, which may be none
  (``notebooks/*``, a folder that others fill), where a glob that matches nothing would be a
  warning, so an error of the build;
- in the API reference, a model of the YAML file has no signature (its keyword arguments
  are its fields, each with its validators: unreadable) but a link to its keys instead.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import tomllib
from configmodels import Section, anchor, reference_rst, sections
from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree
from sphinx.util import docname_join
from sphinx.util.docutils import SphinxDirective
from sphinx.util.matching import patfilter
from sphinx.util.nodes import nested_parse_with_titles

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


class YamlReference(SphinxDirective):
    """Every key of the YAML file: a section per model, a table of keys per section."""

    def run(self) -> list[nodes.Node]:
        from opencoffea.config import AnalysisConfig

        for module in {s.model.__module__ for s in sections(AnalysisConfig)}:
            self.env.note_dependency(sys.modules[module].__file__)  # read again when it changes
        rst = reference_rst(AnalysisConfig, _extra_keys)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(
            self.state, StringList(rst.splitlines(), "<yaml-reference>"), container
        )
        return list(container.children)


def _extra_keys(section: Section) -> str:
    """The keys a cluster takes beside its fields: dask-jobqueue's options, by batch system."""
    from opencoffea.config.cluster import OPTIONS, ClusterSpec

    if section.model is not ClusterSpec:
        return ""
    lines = [
        "Any other key is an option of dask-jobqueue's cluster class for the batch system, "
        "passed on unchanged; each ``type`` takes these:",
        "",
    ]
    lines += [
        f"- ``{kind}``: {', '.join(f'``{o}``' for o in options)}"
        for kind, options in OPTIONS.items()
    ]
    return "\n".join(lines)


class Extras(SphinxDirective):
    """The optional extras of ``pyproject.toml``: name, packages, and the comment above it."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(PYPROJECT))
        listing = nodes.bullet_list()
        for name, (packages, comment) in extras(PYPROJECT.read_text()).items():
            item = nodes.paragraph()
            item += nodes.literal(text=f'pip install -e ".[{name}]"')
            item += nodes.Text(": " + ", ".join(packages) + (f" — {comment}" if comment else ""))
            listing += nodes.list_item("", item)
        return [listing]


def extras(pyproject: str) -> dict[str, tuple[list[str], str]]:
    """Each extra: its packages, and the comment on the lines just above it (``""`` if none).

    Example:
        >>> extras("[project.optional-dependencies]\\n# batch jobs\\ncluster = ['dask-jobqueue']")
        {'cluster': (['dask-jobqueue'], 'batch jobs')}
    """
    table = tomllib.loads(pyproject)["project"]["optional-dependencies"]
    comments: dict[str, str] = {}
    above: list[str] = []
    inside = False
    for line in map(str.strip, pyproject.splitlines()):
        if line.startswith("["):
            inside = line == "[project.optional-dependencies]"
        elif line.startswith("#"):
            above.append(line.lstrip("# "))
            continue
        elif inside and line.partition("=")[0].strip() in table:
            comments[line.partition("=")[0].strip()] = " ".join(above)
        above = []
    return {name: (packages, comments.get(name, "")) for name, packages in table.items()}


class GlobTocTree(TocTree):
    """A toctree of the documents its patterns match (``notebooks/*``), in order; maybe none."""

    def parse_content(self, toctree: addnodes.toctree) -> None:
        """The entries, less the patterns that match no document yet."""
        self.env.note_reread()  # a notebook added since the last build is seen at the next
        toctree["glob"] = True
        patterns = [
            entry
            for entry in self.content
            if patfilter(self.env.found_docs, docname_join(self.env.docname, entry))
        ]
        self.content = StringList(patterns, "<glob-toctree>")
        super().parse_content(toctree)


def _model_signature(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, signature: str, returns: str
) -> tuple[str, str] | None:
    """No signature for a model of the YAML file: its keys are listed below it."""
    return ("", returns) if what == "class" and obj in _models() else None


def _model_keys(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list) -> None:
    """Below a model of the YAML file, where its keys are in the YAML reference."""
    if what == "class" and obj in _models():
        reference = f":ref:`the YAML reference <{anchor(obj)}>`"
        lines += ["", f"Its keys, with their types, defaults and descriptions, are in {reference}."]


@functools.cache
def _models() -> frozenset[type]:
    from opencoffea.config import AnalysisConfig

    return frozenset(section.model for section in sections(AnalysisConfig))


def _pydantic_internals(app: Sphinx, what: str, name: str, *args: Any) -> bool | None:
    """Leave out what pydantic puts in models (``model_config``, ``model_post_init``)."""
    from pydantic import BaseModel

    return True if hasattr(BaseModel, name) else None


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the autodoc hooks."""
    app.add_directive("yaml-reference", YamlReference)
    app.add_directive("extras", Extras)
    app.add_directive("glob-toctree", GlobTocTree)
    app.connect("autodoc-process-signature", _model_signature)
    app.connect("autodoc-process-docstring", _model_keys)
    app.connect("autodoc-skip-member", _pydantic_internals)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
