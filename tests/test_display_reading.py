"""What the event display reads (``display/reading.py``): the chosen entries' drawn branches.

Real files, a generated file of many clusters, and a portal record served by the stand-in portal
on 127.0.0.1; every value compared with what uproot reads of the same entries directly.
"""

from __future__ import annotations

import numpy as np
import pytest
import uproot

import opencoffea
from opencoffea.display import Pick, display
from opencoffea.display.catalogue import present, scalars_present
from opencoffea.display.choosing import parse_id
from opencoffea.display.reading import from_nanoevents, read_events
from opencoffea.errors import InputFileError
from opencoffea.samples import generate

from .portal_server import DATA_JSON, MC


def direct(path, entries, names, tree="Events"):
    """What uproot reads of these branches at these entries, one entry at a time."""
    with uproot.open(path) as file:
        events = file[tree]
        return [
            {
                name: events[name].array(entry_start=e, entry_stop=e + 1, library="np")[0]
                for name in names
            }
            for e in entries
        ]


def test_entries_are_read_in_the_order_asked_with_the_values_uproot_reads(nanoaod):
    path = str(nanoaod("nano_dimuon.root"))
    reading = read_events(path, entries=[7, 2, 30])
    assert [e.entry for e in reading.events] == [7, 2, 30]
    names = ["Muon_pt", "Muon_eta", "Muon_charge", "Jet_pt", "MET_pt", "PV_z", "event"]
    for event, expected in zip(reading.events, direct(path, [7, 2, 30], names), strict=True):
        assert event.event == expected["event"] and event.run == 315267
        for name in names[:-1]:
            assert np.array_equal(event.columns[name], expected[name])


def test_only_the_drawn_branches_are_read(nanoaod):
    path = str(nanoaod("nano_tt_v15.root"))
    (event,) = read_events(path, entries=[11]).events
    with uproot.open(path) as file:
        branches = frozenset(file["Events"].keys())
    drawn = {
        f"{c}_{f}"
        for part in (present(branches), scalars_present(branches))
        for c, fields in part.items()
        for f in fields
    }
    assert set(event.columns) == drawn
    assert len(drawn) < len(branches) / 10  # of 2656 branches
    assert {"Jet_btagDeepFlavB", "PFMET_pt", "IsoTrack_charge", "SV_x"} <= drawn


def test_events_are_found_by_run_lumi_event(nanoaod):
    path = str(nanoaod("nano_dimuon.root"))
    (first,) = direct(path, [13], ["run", "luminosityBlock", "event"])
    wanted = f"{first['run']}:{first['luminosityBlock']}:{first['event']}"
    reading = read_events(
        path, ids=[wanted, (first["run"], first["luminosityBlock"], first["event"])]
    )
    assert [e.entry for e in reading.events] == [13, 13]
    with pytest.raises(InputFileError, match=r"nano_dimuon.root: has no event 1:2:3"):
        read_events(path, ids=["1:2:3"])
    with pytest.raises(ValueError, match="is not RUN:LUMI:EVENT"):
        parse_id("1:2")


def test_first_events_by_default_and_max_bounds_them(nanoaod):
    path = str(nanoaod("nano_dy.root"))
    assert [e.entry for e in read_events(path).events] == list(range(10))
    assert [e.entry for e in read_events(path, max_events=3).events] == [0, 1, 2]
    assert [e.entry for e in read_events(path, entries=[9, 8, 7], max_events=2).events] == [9, 8]
    with pytest.raises(InputFileError, match=r"has no entry 40 \(its entries are 0 to 39\)"):
        read_events(path, entries=[40])
    assert read_events(str(nanoaod("nano_dy_empty.root"))).events == []


def test_a_list_of_file_entry_pairs_by_hand_with_marks_and_quantities(nanoaod):
    """The form an analysis's selected events take (issue 13's --from-result builds on it)."""
    dy, dimuon = str(nanoaod("nano_dy.root")), str(nanoaod("nano_dimuon.root"))
    picks = [
        Pick(dy, 4, {"Muon": frozenset({1})}, {"mZ1": 91.2, "channel": "2mu"}),
        (dimuon, 0),
        Pick(dy, 24, {"Muon": frozenset({0, 1}), "Jet": frozenset({2})}, {"mZ1": 88.5}),
    ]
    shown = display(picks)
    assert [(e.file, e.entry) for e in shown.events] == [(dy, 4), (dimuon, 0), (dy, 24)]
    assert [dict(e.quantities) for e in shown.events] == [
        {"mZ1": 91.2, "channel": "2mu"},
        {},
        {"mZ1": 88.5},
    ]
    from opencoffea.display.scene import event_scene

    scenes = [event_scene(e) for e in shown.events]
    assert [m["marked"] for m in scenes[0]["collections"]["Muon"]] == [False, True]
    assert [m["marked"] for m in scenes[2]["collections"]["Muon"]] == [True, True]
    assert [j["index"] for j in scenes[2]["collections"]["Jet"] if j["marked"]] == [2]
    assert {f.path for f in shown.files} == {dy, dimuon}
    (expected,) = direct(dy, [24], ["Muon_pt"])
    assert np.array_equal(shown.events[2].columns["Muon_pt"], expected["Muon_pt"])


def test_only_the_clusters_of_the_chosen_entries_are_read(tmp_path):
    path = generate("hzz4l", tmp_path / "h.root", 10_000, seed=3, chunk_size=500)  # 20 clusters
    size = path.stat().st_size
    one = read_events(str(path), entries=[5_250]).files[0].bytes_read
    two = read_events(str(path), entries=[250, 9_750]).files[0].bytes_read
    same_cluster = read_events(str(path), entries=[5_050, 5_450]).files[0].bytes_read
    assert one < size / 10 and same_cluster == one
    assert two < 2 * one  # the two clusters; the 18 between are never read
    everything = read_events(str(path), entries=list(range(0, 10_000, 500))).files[0].bytes_read
    assert everything < size / 2  # every cluster, but the drawn branches only


def test_a_portal_record_is_read_over_http_by_byte_ranges(portal_server, nanoaod):
    local = str(nanoaod("nano_dimuon.root"))
    reading = read_events(f"record:{DATA_JSON}", entries=[3, 45], server=portal_server.url)
    # the record's two files hold 40 events each: entry 45 is the second file's entry 5
    first, second = reading.events
    assert first.file.endswith("nano_dimuon_1.root") and first.entry == 3
    assert second.file.endswith("nano_dimuon_2.root") and second.entry == 5
    assert first.dataset == f"/DoubleMuon/Run2018A-test-{DATA_JSON}/NANOAOD"
    for event, expected in zip(
        reading.events, direct(local, [3, 5], ["Muon_pt", "event"]), strict=True
    ):
        assert event.event == expected["event"]
        assert np.array_equal(event.columns["Muon_pt"], expected["Muon_pt"])
    reads = [r for r in portal_server.requests if r.path.endswith(".root") and r.method == "GET"]
    assert reads and all(r.range for r in reads)
    served = sum(f.bytes_read for f in reading.files)
    assert served < sum(f.size for f in reading.files) / 2

    shown = display(f"record:{MC}", max_events=2, server=portal_server.url)
    assert [e.entry for e in shown.events] == [0, 1] and shown.events[0].file.startswith(
        "http://127.0.0.1"
    )
    (found,) = read_events(
        f"record:{DATA_JSON}", ids=[f"315267:205:{second.event}"], server=portal_server.url
    ).events
    assert found.entry == 5 and found.file.endswith("_1.root")  # the first file has it too


def test_a_file_without_luminosity_blocks_is_shown_but_cannot_be_searched_by_id(nanoaod):
    path = str(nanoaod("missing_luminosityBlock.root"))
    events = read_events(path).events
    assert len(events) == 2 and {e.lumi for e in events} == {None}
    with pytest.raises(InputFileError, match="has no branch luminosityBlock"):
        read_events(path, ids=["1:1:1"])


def test_nanoevents_are_shown_with_marks_and_quantities(nanoaod):
    from opencoffea.events import describe, events_from, open_file

    path = str(nanoaod("nano_dy.root"))
    with open_file(path) as file:
        events = events_from(file, describe(file, path))
        selected = events[[4, 24]]
        shown = opencoffea.display(
            selected, highlight={"Muon": [[0], [0, 1]]}, quantities={"mll": [90.1, 88.0]}
        )
        reading = from_nanoevents(selected)
    assert [e.event for e in shown.events] == [
        e.event for e in read_events(path, entries=[4, 24]).events
    ]
    assert [dict(e.quantities) for e in shown.events] == [{"mll": 90.1}, {"mll": 88.0}]
    assert shown.events[1].highlight == {"Muon": frozenset({0, 1})}
    assert np.allclose(
        reading.events[0].columns["Muon_pt"],
        read_events(path, entries=[4]).events[0].columns["Muon_pt"],
    )
