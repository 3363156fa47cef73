"""Results: what a run gives, normalised, and its directory on disk.

- :mod:`~opencoffea.results.result`: the :class:`Result` (histograms, normalised and raw,
  cutflows, lumi sections, the manifest and its typed records), its summary, and what to
  look at: ``cutflow()``, ``yields()``, ``plot(name)`` (drawn by :mod:`opencoffea.plotting`,
  which reads a result through its ``Plottable``) and the HTML of a notebook;
- :mod:`~opencoffea.results.cutflow`: each cut's events, Σw and efficiencies;
- :mod:`~opencoffea.results.html`: a result as a notebook shows it;
- :mod:`~opencoffea.results.records`: the typed records of input files and execution;
- :mod:`~opencoffea.results.normalisation`: simulation to cross section × luminosity;
- :mod:`~opencoffea.results.storage`: writing a result directory and reading it back;
- :mod:`~opencoffea.results.rundir`: the directory beside it (``.<name>.run/``): the lock of
  the run writing it, the new result until it is moved in whole.

Nothing here imports the execution: a run makes its :class:`Result` with
:meth:`Result.from_run`, and the command line and the Python API write and read it.

Example:
    >>> import tempfile
    >>> from opencoffea import load_config, run
    >>> result = run(load_config("configs/dimuon_quick.yaml"), status=False)
    >>> directory = write_result(result, tempfile.mkdtemp())
    >>> factors = {name: n.factor for name, n in normalise(load_result(directory)).items()}
    >>> factors["DoubleMuon"], round(factors["Dimuon_simulation"], 4)  # xsec · L / Σw
    (1.0, 0.0015)
"""

from .normalisation import Normalisation, normalise, normalised_histograms
from .records import ExecutionRecord, FileRecord, InputRecord
from .result import Result, SummaryRow
from .rundir import Holder, RunLock, publish, work_dir
from .storage import histogram_path, load_result, write_result

__all__ = [
    "ExecutionRecord",
    "FileRecord",
    "Holder",
    "InputRecord",
    "Normalisation",
    "Result",
    "RunLock",
    "SummaryRow",
    "histogram_path",
    "load_result",
    "normalise",
    "normalised_histograms",
    "publish",
    "work_dir",
    "write_result",
]
