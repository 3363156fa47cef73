"""``opencoffea display --from-result``: the events an analysis marked, from ``out.mark`` to
the page.

The H → 4ℓ demo result (``higgs4l_demo``, made once a session) marks each selected candidate
with its Z1 and Z2 leptons and m4ℓ, m(Z1), m(Z2). Here the leptons it marked are read again
from the files with uproot, at the entries marked, and their masses recomputed from pt, η, φ
and m: the four make m4ℓ, and two opposite-charge pairs of them make m(Z1) and m(Z2). Then the
page must highlight exactly those leptons of exactly those events, and show those numbers.
"""

from __future__ import annotations

import collections
import json
import shutil
import textwrap

import awkward as ak
import numpy as np
import pytest
import uproot

from opencoffea import generate, load_config, load_result, run, write_result
from opencoffea.cli import main
from opencoffea.display import display
from opencoffea.display.page import embedded_data
from opencoffea.errors import AnalysisError, ResultError
from opencoffea.events import describe, events_from, open_file
from opencoffea.marking import LIMIT
from opencoffea.output import Mark, Marked, Output
from opencoffea.outputfile import read, write
from opencoffea.processor import load_processor
from opencoffea.recorder import Recorder

from .conftest import real_file
from .helpers import config_of
from .test_higgs4l import four_vector, mass
from .test_systematics import HISTOGRAMS, JME

TREE = "aod2nanoaod/Events"
FIELDS = ("pt", "eta", "phi", "mass", "charge")


def marked_leptons(marks: list[Mark]) -> list[dict[str, dict[str, np.ndarray]]]:
    """Per mark, its marked leptons' fields by collection, read with uproot at its file and
    entry (whose run, lumi and event must be the mark's)."""
    branches = [f"{c}_{f}" for c in ("Muon", "Electron") for f in FIELDS]
    columns = {}
    for path in {mark.file for mark in marks}:
        with uproot.open(path) as file:
            ids = ["run", "luminosityBlock", "event"]
            columns[path] = file[TREE].arrays([*branches, *ids], library="np")
    found = []
    for mark in marks:
        row = {name: values[mark.entry] for name, values in columns[mark.file].items()}
        assert (row["run"], row["luminosityBlock"], row["event"]) == (
            mark.run,
            mark.lumi,
            mark.event,
        )
        found.append(
            {
                name: {f: row[f"{name}_{f}"][list(indices)] for f in FIELDS}
                for name, indices in mark.objects.items()
            }
        )
    return found


def test_the_marked_leptons_are_the_z1_and_z2_leptons_of_each_candidate(higgs4l_demo):
    result = load_result(higgs4l_demo)
    marks = result.marked["4l"].events
    channels = collections.Counter((m.dataset, m.quantities["channel"]) for m in marks)
    # every candidate the data selected (its cutflows' last cut) is marked: no chunk of
    # the data has LIMIT of a channel
    data = {"DoubleMuParked": ("4mu", "2e2mu"), "DoubleElectron": ("4e",)}
    for dataset, channel in ((d, c) for d, fed in data.items() for c in fed):
        selected = result.cutflows[f"{dataset}/{channel}"].as_list()[-1]["events"]
        assert channels[dataset, channel] == selected > 100
    flavours = {"4mu": {"Muon": 4}, "4e": {"Electron": 4}, "2e2mu": {"Muon": 2, "Electron": 2}}
    for mark, leptons in zip(marks, marked_leptons(marks), strict=True):
        channel, q = mark.quantities["channel"], mark.quantities
        assert {name: len(i) for name, i in mark.objects.items()} == flavours[channel]
        # each lepton as (four-vector, charge), in the order marked
        four = [
            (four_vector(lep, i), int(lep["charge"][i]))
            for lep in leptons.values()
            for i in range(len(lep["pt"]))
        ]
        assert mass(*(p for p, _ in four)) == pytest.approx(q["m4l"], rel=1e-9)
        assert sum(charge for _, charge in four) == 0
        # two opposite-charge pairs of one flavour each, of masses mZ1 and mZ2: in 4μ and 4e
        # Z1's two leptons come first; in 2e2μ Z1 is the pair closer to the Z mass
        pairs = [four[:2], four[2:]]
        if channel == "2e2mu":
            pairs.sort(key=lambda pair: abs(mass(pair[0][0], pair[1][0]) - 91.2))
        assert all(qa != qb for (_, qa), (_, qb) in pairs)
        assert [mass(a, b) for (a, _), (b, _) in pairs] == [
            pytest.approx(q["mZ1"], rel=1e-9),
            pytest.approx(q["mZ2"], rel=1e-9),
        ]


def test_from_result_highlights_the_marked_leptons_and_shows_the_numbers(
    higgs4l_demo, tmp_path, capsys
):
    arguments = ["display", "--from-result", str(higgs4l_demo), "--selection", "4l"]
    assert main([*arguments, "--max", "60", "--output", str(tmp_path), "--no-png"]) == 0
    assert "60 of the" in capsys.readouterr().err
    events = embedded_data((tmp_path / "display.html").read_text())["events"]
    marks = load_result(higgs4l_demo).marked["4l"].events[:60]
    assert len(events) == 60
    for event, mark in zip(events, marks, strict=True):
        assert (event["file"], event["entry"], event["dataset"]) == (
            mark.file,
            mark.entry,
            mark.dataset,
        )
        assert event["id"] == {"run": mark.run, "lumi": mark.lumi, "event": mark.event}
        highlighted = {
            name: sorted(o["index"] for o in objects if o["marked"])
            for name, objects in event["collections"].items()
        }
        assert {k: v for k, v in highlighted.items() if v} == {
            name: sorted(indices) for name, indices in mark.objects.items()
        }
        assert event["quantities"]["channel"] == mark.quantities["channel"]
        for name in ("m4l", "mZ1", "mZ2"):
            assert event["quantities"][name] == round(mark.quantities[name], 4)
    assert len({e["quantities"]["channel"] for e in events}) > 1


def test_a_result_displays_itself_and_its_pictures_say_the_numbers(higgs4l_demo, tmp_path):
    from opencoffea.display.projections import header_lines
    from opencoffea.display.scene import event_scene

    result = load_result(higgs4l_demo)
    shown = display(result, selection="4l", max_events=2)
    assert shown.title == "higgs4l_demo: 4l"
    mark = result.marked["4l"].events[0]
    lines = header_lines(event_scene(shown.events[0]))
    assert lines[1] == f"Run {mark.run}, Lumi {mark.lumi}, Event {mark.event} · {mark.dataset}"
    assert lines[2].startswith(f"m4l = {mark.quantities['m4l']:.4g}, mZ1 = ")
    assert lines[2].endswith(f"channel = {mark.quantities['channel']}")
    pictures = shown.save(tmp_path / "h.png")
    assert len(pictures) == 2 and all(p.read_bytes()[:4] == b"\x89PNG" for p in pictures)


def test_what_cannot_be_shown_is_a_clear_error(higgs4l_demo, tmp_path, capsys):
    arguments = ["display", "--from-result", str(higgs4l_demo), "--output", str(tmp_path)]
    assert main([*arguments, "--selection", "4ll"]) == 1
    assert "no events were marked as '4ll' (did you mean '4l'?); selections: 4l" in (
        capsys.readouterr().err
    )
    assert main([*arguments, "--entry", "3"]) == 1
    assert main(["display", "--output", str(tmp_path)]) == 1
    assert "give a SOURCE" in capsys.readouterr().err
    quick = write_result(
        run(load_config("configs/dimuon_quick.yaml"), status=False), tmp_path / "dimuon"
    )
    assert not (quick / "selected_events.json").exists()
    assert main(["display", "--from-result", str(quick), "--output", str(tmp_path)]) == 1
    assert "marked no events" in capsys.readouterr().err


# ------------------------------------------------------------------ kept and read back


def test_marks_are_written_with_the_result_and_read_back_exactly(higgs4l_demo, tmp_path):
    result = load_result(higgs4l_demo)
    document = json.loads((higgs4l_demo / "selected_events.json").read_text())
    assert document["run_id"] == result.manifest["run_id"]
    again = load_result(write_result(result, tmp_path / "again"))
    assert again.marked == result.marked
    marks = result.marked["4l"].events
    assert marks == sorted(marks, key=lambda m: (m.file, m.entry))
    # a directory whose marked events are of another run is refused, as its histograms are
    mixed = tmp_path / "mixed"
    shutil.copytree(higgs4l_demo, mixed)
    document["run_id"] = "0" * 32
    (mixed / "selected_events.json").write_text(json.dumps(document))
    with pytest.raises(
        ResultError, match=r"selected_events\.json and manifest\.json do not belong"
    ):
        load_result(mixed)


def h4l_chunk(tmp_path, events: int, seed: int):
    """The events of a generated H → 4ℓ file, as one chunk of dataset SMHiggsToZZTo4L."""
    path = str(generate("hzz4l", tmp_path / f"h{seed}.root", events, seed=seed, format="outreach"))
    file = open_file(path)
    return events_from(file, describe(file, path), metadata={"dataset": "SMHiggsToZZTo4L"})


def test_marks_survive_the_checkpoint_file_and_add_up_in_order(tmp_path):
    config = load_config("configs/higgs4l_demo.yaml")
    processor = load_processor(config)(config)
    outputs = []
    for seed in (3, 4):
        outputs.append(processor.process(h4l_chunk(tmp_path, 300, seed)))
    for k, output in enumerate(outputs):
        assert output.marked["4l"].events
        write(output, tmp_path / f"{k}.zip")
        assert read(tmp_path / f"{k}.zip").marked == output.marked  # floats bit for bit
    a, b = outputs
    assert (a + b).marked == (b + a).marked
    total = (a + b).marked["4l"]
    assert total.selected == a.marked["4l"].selected + b.marked["4l"].selected
    assert total.events == sorted(total.events, key=lambda m: (m.file, m.entry))


# ------------------------------------------------------------------ what is marked


def test_the_entry_is_the_files_whatever_the_chunk(nanoaod):
    path = str(nanoaod("nano_dy.root"))
    with open_file(path) as file:
        info = describe(file, path)
        whole, later = Output(), Output()
        for output, start in ((whole, 0), (later, 20)):
            events = events_from(file, info, entry_start=start)
            out = Recorder(output, "DY", np.ones(len(events)), events=events)
            out.cut("two muons", ak.num(events.Muon) == 2)
            out.mark("Z", objects={"Muon": [[0, 1]] * out.selected}, n_jets=ak.num(events.Jet))
    entries = [m.entry for m in whole.marked["Z"].events]
    assert [m for m in whole.marked["Z"].events if m.entry >= 20] == later.marked["Z"].events
    with uproot.open(path) as file:
        n_muon = file["Events/nMuon"].array(library="np")
        n_jet = file["Events/nJet"].array(library="np")
    assert entries == np.flatnonzero(n_muon == 2).tolist()
    assert [m.quantities["n_jets"] for m in whole.marked["Z"].events] == n_jet[entries].tolist()


def test_at_most_limit_events_of_a_selection_and_category_are_kept_a_chunk(tmp_path):
    events = h4l_chunk(tmp_path, LIMIT + 500, 5)
    output = Output()
    out = Recorder(output, "H", np.ones(len(events)), events=events)
    out.mark("all", n_muons=ak.num(events.Muon))
    for channel in ("a", "b"):
        out.category(channel=channel).mark("both", z=1.5)
    marked = output.marked["all"]
    assert marked.selected == LIMIT + 500 and len(marked.events) == LIMIT
    assert [m.entry for m in marked.events] == list(range(LIMIT))  # the first ones
    both = output.marked["both"]
    assert both.selected == 2 * (LIMIT + 500) and len(both.events) == 2 * LIMIT
    assert collections.Counter(m.quantities["channel"] for m in both.events) == {
        "a": LIMIT,
        "b": LIMIT,
    }


def test_a_misused_mark_stops_with_a_clear_error(nanoaod):
    path = str(nanoaod("nano_dy.root"))
    with open_file(path) as file:
        events = events_from(file, describe(file, path))
        out = Recorder(Output(), "DY", np.ones(len(events)), events=events)
        with pytest.raises(AnalysisError, match=r"objects\['Muon'\] must be one list of indices"):
            out.mark("Z", objects={"Muon": events.Muon})
        with pytest.raises(AnalysisError, match=r"objects\['Muon'\] must be one list of indices"):
            out.mark("Z", objects={"Muon": [[-1]] * len(events)})
        with pytest.raises(
            AnalysisError,
            match=r"quantity 'pt' must be one number an event .*, not a list an event",
        ):
            out.mark("Z", pt=events.Muon.pt)
        with pytest.raises(AnalysisError, match="'channel' is the category of this recorder"):
            out.category(channel="mumu").mark("Z", channel="ee")


CODE = textwrap.dedent(
    """
    import awkward as ak
    from opencoffea import Processor

    class Jets(Processor):
        def analyze(self, events, out):
            good = (events.Jet.pt > 30) & (abs(events.Jet.eta) < 2.4)
            ht = ak.sum(events.Jet[good].pt, axis=1)
            out.cut("two jets", (ak.num(events.Jet[good]) >= 2) & (ht > 250))
            jets = out.select(events.Jet[good])  # corrected, by their corrected pt
            leading = dict(ht=ak.sum(jets.pt, axis=1), eta=jets.eta[:, 0])
            out.mark("dijet", objects={"Jet": jets.stored_index}, **leading)
            out.fill("ht", ht=ak.sum(jets.pt, axis=1))
    """
)


def dijets(tmp_path, events: int):
    """The analysis of CODE on generated tt̄, with corrected jets and their JES variations."""
    tt = {"generate": {"process": "ttbar", "events": events, "seed": 9}, "kind": "mc", "xsec": 1.0}
    return config_of(
        tmp_path,
        datasets={"TT": tt},
        histograms={"ht": HISTOGRAMS["ht"]},
        code=CODE,
        cls="Jets",
        corrections={"payloads": str(real_file("corrections", "jsonpog-integration")), "jets": JME},
        systematics=["jes"],
    )


def test_only_the_nominal_pass_marks(tmp_path):
    """The JES variations select other events: none of theirs is marked, nor marked twice."""
    result = run(dijets(tmp_path, 600), status=False)
    assert {"jesTotalUp", "jesTotalDown"} <= set(result.raw["ht"].axes["systematic"])
    nominal = result.raw["ht"][{"dataset": "TT", "systematic": "nominal"}].sum(flow=True).value
    up = result.raw["ht"][{"dataset": "TT", "systematic": "jesTotalUp"}].sum(flow=True).value
    assert up != nominal  # the variation selects other events
    marked = result.marked["dijet"]
    selected = result.cutflows["TT"].entries["two jets"][0]
    assert marked.selected == len(marked.events) == selected > 100
    assert len({(m.file, m.entry) for m in marked.events}) == len(marked.events)
    with uproot.open(marked.events[0].file) as file:
        eta = file["Events/Jet_eta"].array(library="np")
    for mark in marked.events:  # the corrected jets, by their index in the file
        assert mark.quantities["ht"] > 250 and len(mark.objects["Jet"]) >= 2
        assert eta[mark.entry][mark.objects["Jet"][0]] == pytest.approx(mark.quantities["eta"])


def test_marks_add_up_as_accumulators():
    a = Marked(3, [Mark("ZZ", "b.root", 7, 1, 1, 7)])
    assert a + Marked() == a == Marked() + a
    assert (a + a).selected == 6 and len((a + a).events) == 2


@pytest.mark.slow
def test_the_same_marks_whatever_the_executor_and_chunk_size(tmp_path):
    config = dijets(tmp_path, 3000)
    one = run(config, status=False, chunksize=1000).marked
    assert len(one["dijet"].events) > 1000  # from three chunks
    assert run(config, status=False, chunksize=1000, executor="futures", workers=2).marked == one
    assert run(config, status=False, chunksize=700).marked == one
