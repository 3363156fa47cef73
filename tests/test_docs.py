"""The documentation site: every key of the YAML file is described, and the site builds.

The YAML reference is generated from the models of :mod:`opencoffea.config` by
``docs/_ext/configmodels.py``: a field without a description would be a row with an empty
cell there. The build runs ``sphinx-build -W`` (a warning is an error), as CI does; like any
Sphinx build of ``docs/``, it writes the API's module pages into ``docs/reference/generated/``
(ignored by git) and its HTML into a temporary directory.
"""

from __future__ import annotations

import doctest
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from opencoffea.config import AnalysisConfig, Dataset, Execution
from opencoffea.config.base import ConfigModel

ROOT = Path(__file__).resolve().parents[1]
EXTENSIONS = ROOT / "docs" / "_ext"


def _extension(name: str) -> ModuleType:
    """A module of ``docs/_ext``, imported as Sphinx imports it (by its name alone)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXTENSIONS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


configmodels = _extension("configmodels")


def _subclasses(model: type) -> set[type]:
    return {m for sub in model.__subclasses__() for m in {sub, *_subclasses(sub)}}


def test_every_key_of_the_yaml_file_has_a_description():
    undescribed = [
        f"{section.path or '<top level>'}.{name} ({section.model.__name__})"
        for section in configmodels.sections(AnalysisConfig)
        for name, field in section.model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert undescribed == []


def test_the_reference_has_every_model_of_the_configuration():
    shown = {section.model for section in configmodels.sections(AnalysisConfig)}
    public = {m for m in _subclasses(ConfigModel) if not m.__name__.startswith("_")}
    assert public - shown == set()


def test_the_reference_says_where_each_model_is_written():
    paths = {s.model.__name__: s.path for s in configmodels.sections(AnalysisConfig)}
    assert paths["AnalysisConfig"] == ""
    assert paths["ClusterSpec"] == "execution.cluster"
    assert paths["RegularAxis"] == "histograms.<name>.axes[]"
    assert paths["ScaleFactorConfig"] == "corrections.scale_factors.<name>"
    assert paths["DataPeriod"] == "corrections.jets.data_jec[]"


def test_types_and_defaults_read_as_yaml():
    def text(model, key):
        field = model.model_fields[key]
        return configmodels.type_text(field.annotation, link=lambda m: m.__name__)

    assert text(Execution, "executor") == '"iterative" | "futures" | "dask"'
    assert text(Execution, "workers") == "int"
    assert text(AnalysisConfig, "datasets") == "dict[str, Dataset]"
    assert text(AnalysisConfig, "systematics") == "list[str]"
    assert text(Dataset, "generate") == "GeneratedSample | list[GeneratedSample]"
    assert text(Dataset, "lumimask") == "str | PortalRef | false"
    assert configmodels.bounds_text(Execution.model_fields["workers"]) == "> 0"
    assert configmodels.default_text(Execution.model_fields["chunksize"]) == "100000"
    assert configmodels.default_text(AnalysisConfig.model_fields["execution"]) == "{}"
    assert configmodels.default_text(AnalysisConfig.model_fields["name"]) == "required"


def test_the_examples_of_the_docs_extensions_run():
    modules = [configmodels]
    if importlib.util.find_spec("sphinx") is not None:
        modules.append(_extension("generated"))
    for module in modules:
        assert doctest.testmod(module).failed == 0, module.__name__


@pytest.mark.slow
def test_the_site_builds_without_a_warning(tmp_path):
    needed = ("sphinx", "furo", "myst_nb", "sphinxarg")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(
            f"the docs extra is not installed ({', '.join(missing)}): pip install -e .[docs]"
        )
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", tmp_path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,  # the tutorials run during the build
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    yaml_reference = (tmp_path / "reference" / "yaml.html").read_text()
    for key_path in ("datasets.&lt;name&gt;", "execution.cluster", "corrections.jets"):
        assert key_path in yaml_reference
    assert "jobscript" in (tmp_path / "reference" / "cli.html").read_text()
    assert "opencoffea.run" in (tmp_path / "reference" / "api.html").read_text()
    quickstart = (tmp_path / "notebooks" / "00_quickstart.html").read_text()
    assert "(True, 8000)" in quickstart  # the notebook ran while the site was built
