"""The YAML file of an analysis: pydantic models, checks, loading, and error reporting.

The models carry the rules (schema first, like correctionlib and pyhf): a mistake in the
file is reported with the file, the line, the key path, what was given and what is
allowed, with a "did you mean" where a near spelling exists. Unknown keys are errors.
Relative input paths in the file (``processor``, ``files``, ``lumimask``, payloads) are
relative to the YAML file itself, so a configuration runs the same from any directory.

The package, one job a module:

- ``analysis``: the whole file (:class:`AnalysisConfig`) and ``execution:``;
- ``cluster``: ``execution.cluster:``, dask workers as batch jobs (dask-jobqueue's options);
- ``datasets``, ``histograms``, ``plots``, ``corrections``: the models of each section;
- ``inference``: ``normalisation:``, ``inference:`` and ``hepdata:``, from histograms to a
  measurement;
- ``checks``: what needs the whole file (a plot naming a histogram not booked, ...);
- ``loading``: YAML with the line of every key, then validation and checks;
- ``messages``: pydantic's errors turned into lines a person reads.

Example:
    >>> cfg = parse_config('''
    ... name: demo
    ... processor: analyses/dimuon.py:DimuonSpectrum
    ... datasets: {DoubleMuon: {files: [data.root], kind: data}}
    ... ''')
    >>> cfg.datasets["DoubleMuon"].kind
    'data'
"""

from .analysis import AnalysisConfig, Execution
from .cluster import Adaptive, ClusterSpec
from .corrections import (
    SYSTEMATICS,
    Corrections,
    EnergyConfig,
    JetCorrectionsConfig,
    PileupConfig,
    ScaleFactorConfig,
)
from .datasets import Dataset, GeneratedSample, PortalRef
from .histograms import (
    RESERVED_AXES,
    Axis,
    CategoryAxis,
    Histogram,
    IntegerAxis,
    RegularAxis,
    VariableAxis,
)
from .inference import HEPDataConfig, Inference, Normalisation
from .loading import load_config, parse_config
from .plots import Plot, SystBand, Yields

__all__ = [
    "RESERVED_AXES",
    "SYSTEMATICS",
    "Adaptive",
    "AnalysisConfig",
    "Axis",
    "CategoryAxis",
    "ClusterSpec",
    "Corrections",
    "Dataset",
    "EnergyConfig",
    "Execution",
    "GeneratedSample",
    "HEPDataConfig",
    "Histogram",
    "Inference",
    "IntegerAxis",
    "JetCorrectionsConfig",
    "Normalisation",
    "PileupConfig",
    "Plot",
    "PortalRef",
    "RegularAxis",
    "ScaleFactorConfig",
    "SystBand",
    "VariableAxis",
    "Yields",
    "load_config",
    "parse_config",
]
