"""The Processor base class and how a YAML file's ``processor:`` is found and imported."""

from __future__ import annotations

import subprocess
import sys

import cloudpickle
import pytest

from opencoffea import Processor
from opencoffea.errors import ProcessorLoadError
from opencoffea.processor import import_analysis, load_processor

from .helpers import config_of

NO_ANALYZE = """
from opencoffea import Processor

class Forgetful(Processor):
    def analyse(self, events, out):  # British spelling: not the method the framework calls
        pass
"""


def test_analyze_is_abstract():
    class Forgetful(Processor):
        pass

    with pytest.raises(TypeError, match=r"abstract method '?analyze"):
        Forgetful(None)


def test_a_processor_without_analyze_is_refused_when_loaded(tmp_path):
    config = config_of(
        tmp_path,
        datasets={"D": {"files": ["d.root"], "kind": "data"}},
        code=NO_ANALYZE,
        cls="Forgetful",
    )
    with pytest.raises(ProcessorLoadError) as error:
        load_processor(config)
    message = str(error.value)
    assert "Forgetful in " in message and str(tmp_path / "analyses" / "a.py") in message
    assert "does not define analyze()" in message


def test_import_analysis_imports_a_file_once_and_sends_it_by_value(tmp_path):
    path = tmp_path / "shared.py"
    path.write_text("Z_MASS = 91.2\n\ndef closest(m):\n    return abs(m - Z_MASS)\n")
    module = import_analysis(path)
    assert import_analysis(tmp_path / "." / "shared.py") is module
    assert module.closest(91.0) == pytest.approx(0.2)
    # by value: a fresh process without the file runs the function
    payload = cloudpickle.dumps(module.closest)
    path.unlink()
    code = "import cloudpickle, sys; print(cloudpickle.loads(sys.stdin.buffer.read())(91.7))"
    done = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True)
    assert done.stdout.decode().strip() == "0.5", done.stderr.decode()


def test_import_analysis_names_a_missing_file(tmp_path):
    with pytest.raises(ProcessorLoadError, match=r"no such file .*nowhere\.py"):
        import_analysis(tmp_path / "nowhere.py")
