"""The Python API of a notebook: ``opencoffea.run`` with a class, a file or the YAML's
processor, on every executor; an edited file runs as edited; ``output=`` writes what the
command writes; the result shows itself; progress bars while inputs are prepared."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import awkward as ak
import pytest

import opencoffea
from opencoffea import Processor, load_config, load_result
from opencoffea.cli import main
from opencoffea.errors import OpenCoffeaError, ProcessorLoadError

from .helpers import assert_same_histograms, write_analysis

DATASETS = {
    "DoubleMuon": {
        "generate": {"process": "dimuon_data", "events": 3000, "seed": 5},
        "kind": "data",
        "group": "Data",
    },
    "DY": {
        "generate": {"process": "dy_mumu", "events": 2000, "seed": 6},
        "kind": "mc",
        "xsec": 1.0,
        "group": "Drell-Yan <μμ>",  # a name to be escaped in HTML
    },
}
HISTOGRAMS = {"pt": {"axes": [{"name": "pt", "bins": 20, "start": 0, "stop": 100}]}}

# the processor of a file: its muon threshold is edited by the tests
ANALYSIS = """
import awkward as ak
from opencoffea import Processor

THRESHOLD = 10.0

class MuonPt(Processor):
    def analyze(self, events, out):
        out.cut("a muon", ak.num(events.Muon) >= 1)
        muons = out.select(events.Muon)
        out.cut("above threshold", muons.pt[:, 0] > THRESHOLD)
        out.fill("pt", pt=out.select(muons).pt[:, 0])
"""


class LeadingMuon(Processor):
    """A processor written here, as in a notebook cell."""

    def analyze(self, events, out):
        out.cut("a muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt[:, 0])


@pytest.fixture
def analysis(tmp_path):
    """The YAML file of a small analysis (its processor: analyses/a.py:MuonPt)."""
    return write_analysis(
        tmp_path, datasets=DATASETS, histograms=HISTOGRAMS, code=ANALYSIS, cls="MuonPt"
    )


def last_cut(result, dataset="DoubleMuon"):
    return result.cutflow()[dataset][-1]


def test_a_class_written_here_runs_instead_of_the_yamls(analysis):
    result = opencoffea.run(analysis, LeadingMuon, status=False)
    assert isinstance(result, opencoffea.Result) and result.complete
    assert last_cut(result).cut == "a muon"
    # the result says which processor made it: this file's class
    assert result.config.processor == f"{Path(__file__)}:LeadingMuon"
    data = result.raw["pt"][{"dataset": "DoubleMuon", "systematic": "nominal"}]
    assert data.sum(flow=True).value == last_cut(result).events
    # the YAML's own, from a loaded configuration
    own = opencoffea.run(load_config(analysis), status=False)
    assert last_cut(own).cut == "above threshold"


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["futures", "dask"])
def test_classes_of_a_test_and_of_a_module_workers_cannot_import_reach_them(
    analysis, tmp_path, executor
):
    """A class of this test's module, one defined in a function, and one of a module whose
    file is on no path of the workers: each travels to the workers by value."""
    cells = tmp_path / "cells"
    cells.mkdir()
    (cells / "cell.py").write_text(textwrap.dedent(ANALYSIS))
    name = f"notebook_cell_{uuid.uuid4().hex}"  # importable by no worker
    spec = importlib.util.spec_from_file_location(name, cells / "cell.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)

    class Local(LeadingMuon):
        pass

    reference = opencoffea.run(analysis, LeadingMuon, executor="iterative", status=False)
    cell_reference = opencoffea.run(analysis, module.MuonPt, executor="iterative", status=False)
    settings = {"executor": executor, "workers": 2, "chunksize": 700, "status": False}
    try:
        for cls, expected in (
            (LeadingMuon, reference),
            (Local, reference),
            (module.MuonPt, cell_reference),
        ):
            result = opencoffea.run(analysis, cls, **settings)
            assert result.complete and not result.failures, cls
            assert result.execution.executor == executor
            assert_same_histograms(result.raw, expected.raw)
            assert result.cutflow() == expected.cutflow()
    finally:
        del sys.modules[name]


@pytest.mark.slow
def test_a_class_of_a_notebooks_main_module_reaches_a_process_pool(analysis):
    """``__main__`` without a file, as in a notebook's kernel: the script comes on stdin."""
    script = textwrap.dedent(f"""
        import awkward as ak, opencoffea

        class Cell(opencoffea.Processor):
            def analyze(self, events, out):
                out.cut("two muons", ak.num(events.Muon) >= 2)

        result = opencoffea.run({str(analysis)!r}, Cell, executor="futures", workers=2,
                                chunksize=1000, status=False)
        print(result.config.processor, result.cutflow()["DoubleMuon"][-1].cut, result.complete)
    """)
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["__main__:Cell", "two", "muons", "True"]


def test_a_file_and_class_string_from_the_working_directory(analysis, monkeypatch):
    monkeypatch.chdir(analysis.parent)
    result = opencoffea.run(analysis, "analyses/a.py:MuonPt", status=False)
    assert last_cut(result).cut == "above threshold"
    assert result.config.processor == f"{analysis.parent / 'analyses' / 'a.py'}:MuonPt"
    with pytest.raises(ProcessorLoadError, match=r"has no class 'MuonPT' \(did you mean 'MuonPt'"):
        opencoffea.run(analysis, "analyses/a.py:MuonPT", status=False)
    with pytest.raises(ProcessorLoadError, match=r"must be a subclass of opencoffea\.Processor"):
        opencoffea.run(analysis, dict, status=False)
    with pytest.raises(OpenCoffeaError, match=r"no setting 'worker' \(did you mean 'workers'"):
        opencoffea.run(analysis, worker=2)


def test_an_edited_processor_file_is_the_one_that_runs(analysis):
    """Edited between two runs of one session, within the same second, to the same size (a
    ``__pycache__`` would look up to date): the second run uses the new code."""
    code = analysis.parent / "analyses" / "a.py"
    first = opencoffea.run(analysis, status=False)
    code.write_text(code.read_text().replace("THRESHOLD = 10.0", "THRESHOLD = 30.0"))
    second = opencoffea.run(analysis, status=False)
    assert last_cut(second).events < last_cut(first).events
    again = opencoffea.run(analysis, str(code) + ":MuonPt", status=False)
    assert last_cut(again) == last_cut(second)

    # a file the processor builds on (import_analysis), edited: its importer is made anew
    (code.parent / "cuts.py").write_text("THRESHOLD = 30.0\n")
    code.write_text(
        code.read_text().replace(
            "THRESHOLD = 30.0",
            "from pathlib import Path\nfrom opencoffea.processor import import_analysis\n"
            'THRESHOLD = import_analysis(Path(__file__).parent / "cuts.py").THRESHOLD',
        )
    )
    assert last_cut(opencoffea.run(analysis, status=False)) == last_cut(second)
    (code.parent / "cuts.py").write_text("THRESHOLD = 10.0\n")
    assert last_cut(opencoffea.run(analysis, status=False)) == last_cut(first)


def files_in(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def test_output_writes_what_the_command_writes_and_reads_back_the_same(analysis, capsys):
    api, cli = analysis.parent / "api", analysis.parent / "cli"
    result = opencoffea.run(analysis, output=api, status=False)
    assert result.directory == api
    assert main(["run", str(analysis), "--output", str(cli), "--quiet"]) == 0
    # no plots: in the YAML: a quick look at the histogram, as the command draws it
    assert files_in(api) == files_in(cli)
    assert "plots/pt.png" in files_in(api) and "plots/pt.json" in files_in(api)
    for name in ("pt.json",):
        assert (api / "plots" / name).read_text() == (cli / "plots" / name).read_text()
    assert f"  {cli / 'plots' / 'pt.png'}" in capsys.readouterr().err  # each plot's path

    back = load_result(api)
    assert back.summary() == result.summary() and back.cutflow() == result.cutflow()
    assert back.manifest == result.manifest and back.config.processor == result.config.processor
    assert_same_histograms(back.histograms, result.histograms)
    assert_same_histograms(load_result(cli).raw, back.raw)


def test_a_result_shows_itself_in_a_notebook(analysis):
    result = opencoffea.run(analysis, status=False)
    page = result._repr_html_()
    for text in ("DoubleMuon", "5,000 of 5,000 events", "Σw", "above threshold", "cutflows"):
        assert text in page, text
    assert "Drell-Yan &lt;μμ&gt;" in page and "<μμ>" not in page
    assert "plots:" not in page  # nothing written yet
    assert f"<td>{last_cut(result).events:,}</td>" in result.cutflow()._repr_html_()

    written = opencoffea.run(analysis, output=analysis.parent / "out", status=False)
    assert "href='" in written._repr_html_() and "plots/pt.png" in written._repr_html_()
    assert load_result(written.directory)._repr_html_() == written._repr_html_()


def test_plot_and_yields_of_a_result_in_memory(analysis):
    result = opencoffea.run(analysis, status=False)
    figure = result.plot("pt")  # no plots: in the YAML: a quick look
    assert [a.get_xlabel() for a in figure.axes] == ["pt"]
    table = result.yields()
    data = result.raw["pt"][{"dataset": "DoubleMuon", "systematic": "nominal"}]
    assert table.cells["Data"]["combined"].value == data.sum().value  # in-range bins
    with pytest.raises(OpenCoffeaError, match=r"no plot or histogram 'pT'"):
        result.plot("pT")


def test_progress_bars_while_samples_are_generated(analysis, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENCOFFEA_CACHE", str(tmp_path / "fresh-cache"))
    opencoffea.run(analysis, status=True, executor="iterative")
    err = capsys.readouterr().err
    assert "generating dimuon_data (data, seed 5)" in err and "3000/3000" in err
    opencoffea.run(analysis, status=False)  # generated once; and quiet means quiet
    assert "generating" not in capsys.readouterr().err


def test_progress_bar_while_a_portal_record_is_asked_for(portal_server, tmp_path, capsys):
    from opencoffea.datasets.sources import Sources

    data = opencoffea.generate("dimuon_data", tmp_path / "data.root", 500, kind="data")
    portal_server.serve_record(990020, [data], number_events=500)
    path = write_analysis(
        tmp_path, datasets={"D": {"record": 990020, "kind": "data", "lumimask": False}}
    )
    files = Sources(load_config(path), portal_server.url, status=True).files("D")
    assert [Path(f.path).name for f in files] == ["data.root"]
    assert f"record 990020: its files, from {portal_server.url}" in capsys.readouterr().err


def test_the_cutflow_command(analysis, capsys):
    result = opencoffea.run(analysis, output=analysis.parent / "out", status=False)
    capsys.readouterr()
    assert main(["cutflow", str(result.directory)]) == 0
    out = capsys.readouterr().out
    for text in ("DoubleMuon", "DY", "above threshold", "relative", "cumulative", "100.0%"):
        assert text in out, text
    assert main(["cutflow", str(result.directory), "--json", "--dataset", "DY"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert list(table) == ["DY"]
    first, *_, last = table["DY"]
    assert first["relative"] == first["cumulative"] == 1.0
    assert last["cumulative"] == pytest.approx(last["sumw"] / first["sumw"])
    assert main(["cutflow", str(result.directory), "--dataset", "DYY"]) == 1
    assert "no cutflow 'DYY' (did you mean 'DY'?)" in capsys.readouterr().err
