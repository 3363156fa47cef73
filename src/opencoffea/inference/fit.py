"""A maximum-likelihood fit of the signal strength μ with pyhf: μ and its uncertainty, the
observed and expected significance of the signal, the 95 % CL upper limit on μ, and the
nuisance parameters after the fit (their pulls).

pyhf runs with its numpy backend and MINUIT (iminuit), whose HESSE matrix gives the
uncertainties; the backend is pyhf's global setting, put back as it was after the fit.

- μ̂ ± σ: the best fit of the workspace's model to its observations, μ ≥ 0 (pyhf's bounds).
- Significance: the discovery test statistic q₀ in the asymptotic approximation; observed on
  the data, expected on the Asimov data set of μ = 1; Z = Φ⁻¹(1 − p₀).
- Upper limit: CLs at 95 % CL with q̃_μ, observed and the expected median and ±1σ, ±2σ.

Example:
    >>> from opencoffea import load_result
    >>> from opencoffea.inference import statistical_model, pyhf_workspace
    >>> model = statistical_model(load_result(higgs4l_demo))
    >>> fit = fit_workspace(pyhf_workspace(model), limit=False)  # the limit takes minutes
    >>> round(fit.mu, 2), round(fit.mu_error, 2), round(fit.significance, 1)
    (1.18, 0.31, 5.9)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..util import write_atomic
from .extra import stats_module
from .workspace import POI

__all__ = ["BAND", "FitResult", "fit_workspace", "write_fit"]

BAND = ("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma")
"""The expected limits, in order."""


@dataclass(frozen=True)
class FitResult:
    """What a fit found. ``parameters`` maps each parameter to its values and uncertainties
    after the fit (a list: a ``staterror`` has one per bin); ``pulls`` are the constrained
    nuisances among them, (θ̂, σ) in units of their prior width.

    Example:
        >>> f = FitResult(1.1, 0.4, 3.0, 2.5, 0.0013, 0.0062, 2.0, [0.5, 0.7, 1.0, 1.4, 1.9],
        ...               {"mu": ([1.1], [0.4])}, {})
        >>> f.as_dict()["mu"], f.as_dict()["significance"]
        ({'value': 1.1, 'uncertainty': 0.4}, {'observed': 3.0, 'expected': 2.5})
    """

    mu: float
    mu_error: float
    significance: float
    significance_expected: float
    p0: float
    p0_expected: float
    limit: float | None  # None: not computed
    limit_expected: list[float] | None  # −2σ, −1σ, median, +1σ, +2σ
    parameters: dict[str, tuple[list[float], list[float]]]
    pulls: dict[str, tuple[float, float]]

    def as_dict(self) -> dict[str, Any]:
        """The fit as ``fit.json`` holds it."""
        return {
            "format": "opencoffea-fit/1",
            "poi": POI,
            "mu": {"value": self.mu, "uncertainty": self.mu_error},
            "significance": {
                "observed": self.significance,
                "expected": self.significance_expected,
            },
            "p0": {"observed": self.p0, "expected": self.p0_expected},
            "upper_limit_95cl": None
            if self.limit is None or self.limit_expected is None
            else {
                "observed": self.limit,
                "expected": dict(zip(BAND, self.limit_expected, strict=True)),
            },
            "parameters": {
                k: {"value": v, "uncertainty": e} for k, (v, e) in self.parameters.items()
            },
            "pulls": {k: {"value": v, "uncertainty": e} for k, (v, e) in self.pulls.items()},
        }


def fit_workspace(spec: dict[str, Any], limit: bool = True) -> FitResult:
    """Fit the model of a pyhf workspace (as :func:`~.workspace.pyhf_workspace` gives it);
    ``limit=False`` leaves the upper limit out (the longest part: tens of fits).

    Example:
        >>> from opencoffea.inference.model import Channel, StatModel
        >>> from opencoffea.inference.workspace import pyhf_workspace
        >>> channel = Channel("sr", np.array([0.0, 1, 2]), np.array([12.0, 30]),
        ...     {"S": np.array([5.0, 1]), "B": np.array([6.0, 28])}, {},
        ...     rates={"lumi": {"S": (1 / 1.05, 1.05), "B": (1 / 1.05, 1.05)}})
        >>> fit = fit_workspace(pyhf_workspace(StatModel("x", [channel], ["S"], ["B"], {}, None)))
        >>> round(fit.mu, 2), round(fit.significance, 1), round(fit.limit, 1)
        (1.21, 2.1, 2.6)
    """
    pyhf = stats_module("pyhf")
    stats = stats_module("scipy.stats")
    stats_module("iminuit")  # MINUIT's HESSE gives the uncertainties
    backend = pyhf.get_backend()
    pyhf.set_backend("numpy", pyhf.optimize.minuit_optimizer(verbose=0))
    try:
        workspace = pyhf.Workspace(spec)
        model = workspace.model()
        data = workspace.data(model)
        fitted = pyhf.infer.mle.fit(data, model, return_uncertainties=True)
        best, errors = fitted[:, 0], fitted[:, 1]
        p0, p0_expected = pyhf.infer.hypotest(
            0.0, data, model, test_stat="q0", return_expected=True
        )
        upper, expected = (
            # CLs to 1 % of the limit: each step is a hypothesis test of several fits
            pyhf.infer.intervals.upper_limits.toms748_scan(
                data, model, *_poi_bounds(model), level=0.05, rtol=1e-2
            )
            if limit
            else (None, None)
        )
    finally:
        pyhf.set_backend(*backend)
    parameters: dict[str, tuple[list[float], list[float]]] = {}
    pulls: dict[str, tuple[float, float]] = {}
    for name in model.config.par_order:
        where = model.config.par_slice(name)
        values, uncertainties = best[where].tolist(), errors[where].tolist()
        parameters[name] = (values, uncertainties)
        kind = model.config.param_set(name)
        if (
            name != POI
            and kind.constrained
            and len(values) == 1
            and not name.startswith("staterror")
        ):
            pulls[name] = (values[0], uncertainties[0])
    poi = model.config.poi_index
    return FitResult(
        mu=float(best[poi]),
        mu_error=float(errors[poi]),
        significance=float(stats.norm.isf(float(p0))),
        significance_expected=float(stats.norm.isf(float(p0_expected))),
        p0=float(p0),
        p0_expected=float(p0_expected),
        limit=None if upper is None else float(upper),
        limit_expected=None if expected is None else [float(x) for x in expected],
        parameters=parameters,
        pulls=pulls,
    )


def _poi_bounds(model: Any) -> tuple[float, float]:
    """The range of μ searched for the limit: pyhf's bounds of the POI."""
    low, high = model.config.suggested_bounds()[model.config.poi_index]
    return float(low), float(high)


def write_fit(fit: FitResult, directory: str | Path, title: str = "") -> list[Path]:
    """``fit.json`` and the pulls plot (``pulls.png``, ``pulls.pdf``) in ``directory``."""
    from ..plotting.figures import plot_pulls

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "fit.json"
    write_atomic(path, json.dumps(fit.as_dict(), indent=1) + "\n")
    return [path, *plot_pulls(fit.pulls, directory / "pulls", title)]
