"""From a result to a measurement: the statistical model of ``inference:``, as a Combine
datacard or a pyhf workspace, a maximum-likelihood fit of the signal strength, and a HEPData
record of the plots.

The modules, in the order the numbers flow:

- :mod:`~opencoffea.inference.model`: the model (channels, processes, nuisances) of a result;
- :mod:`~opencoffea.inference.datacard`: a Combine card and its ``shapes.root``;
- :mod:`~opencoffea.inference.workspace`: a pyhf workspace, validated against pyhf's schema;
- :mod:`~opencoffea.inference.fit`: the fit (pyhf): μ, significance, upper limit, pulls;
- :mod:`~opencoffea.inference.hepdata`: a HEPData submission (hepdata_lib), validated;
- :mod:`~opencoffea.inference.extra`: the libraries of the ``stats`` extra, imported on use.

pyhf, iminuit, hepdata_lib and hepdata-validator are the ``stats`` extra
(``pip install 'opencoffea[stats]'``); the model and the datacard need none of them.

Example:
    >>> import tempfile
    >>> from opencoffea import load_result
    >>> result = load_result(higgs4l_demo)
    >>> model = statistical_model(result)
    >>> card = write_datacard(model, tempfile.mkdtemp())
    >>> fit = fit_workspace(pyhf_workspace(model), limit=False)
    >>> f"μ = {fit.mu:.2f} ± {fit.mu_error:.2f}, {fit.significance:.1f}σ"
    'μ = 1.18 ± 0.31, 5.9σ'
"""

from __future__ import annotations

from .datacard import write_datacard
from .fit import FitResult, fit_workspace, write_fit
from .hepdata import write_hepdata
from .model import Channel, StatModel, statistical_model
from .workspace import pyhf_workspace, write_workspace

__all__ = [
    "Channel",
    "FitResult",
    "StatModel",
    "fit_workspace",
    "pyhf_workspace",
    "statistical_model",
    "write_datacard",
    "write_fit",
    "write_hepdata",
    "write_workspace",
]
