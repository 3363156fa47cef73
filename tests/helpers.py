"""Small helpers for tests that write an analysis (processor + YAML) into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from opencoffea.config import load_config

MUON_PT = """
import awkward as ak
from opencoffea import Processor

class MuonPt(Processor):
    def analyze(self, events, out):
        out.cut("one muon", ak.num(events.Muon) >= 1)
        muons = out.select(events.Muon)
        out.fill("pt", pt=muons.pt)
"""

PT_HISTOGRAM = {"pt": {"axes": [{"name": "pt", "bins": 20, "start": 0, "stop": 200}]}}


def write_analysis(
    directory: Path,
    *,
    datasets: dict[str, Any],
    histograms: dict[str, Any] | None = None,
    code: str = MUON_PT,
    cls: str = "MuonPt",
    **extra: Any,
) -> Path:
    """Write ``analyses/a.py`` and ``a.yaml`` into ``directory``; returns the YAML path."""
    (directory / "analyses").mkdir(parents=True, exist_ok=True)
    (directory / "analyses" / "a.py").write_text(textwrap.dedent(code))
    document = {
        "name": "test",
        "processor": f"analyses/a.py:{cls}",
        "luminosity": 1000.0,
        "datasets": datasets,
        "histograms": histograms or PT_HISTOGRAM,
        **extra,
    }
    path = directory / "a.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def config_of(directory: Path, **kwargs: Any):
    return load_config(write_analysis(directory, **kwargs))


def assert_same_histograms(a: dict, b: dict) -> None:
    """Histograms equal bin by bin (values and variances), whatever the category order."""
    assert a.keys() == b.keys()
    for name in a:
        ha, hb = a[name], b[name]
        assert set(ha.axes["dataset"]) == set(hb.axes["dataset"]), name
        assert set(ha.axes["systematic"]) == set(hb.axes["systematic"]), name
        for dataset in ha.axes["dataset"]:
            for systematic in ha.axes["systematic"]:
                sa = ha[{"dataset": dataset, "systematic": systematic}]
                sb = hb[{"dataset": dataset, "systematic": systematic}]
                np.testing.assert_array_equal(sa.values(flow=True), sb.values(flow=True))
                np.testing.assert_array_equal(sa.variances(flow=True), sb.variances(flow=True))
