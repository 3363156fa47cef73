"""Opening NanoAOD files: formats and versions, clear errors, lazy reading.

Most tests read the real CMS files of the shared test data (they skip without it); the
error cases build their own small files in ``tmp_path``.
"""

from __future__ import annotations

import ast
import dataclasses
import http.server
import inspect
import json
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot
from coffea.nanoevents import PFNanoAODSchema

from opencoffea import events as events_module
from opencoffea import nanoaod as nanoaod_module
from opencoffea import schemas as schemas_module
from opencoffea.errors import InputFileError
from opencoffea.events import (
    FileInfo,
    describe,
    events_from,
    open_file,
    schema_for,
)

OUTREACH = "AOD2NanoAODOutreachTool_output_20events.root"


@contextmanager
def opened(path: Path | str) -> Iterator[tuple[uproot.ReadOnlyDirectory, FileInfo]]:
    """The open file and what :func:`describe` says about it."""
    with open_file(str(path)) as file:
        yield file, describe(file, str(path))


def write_events(path: Path, **columns: object) -> Path:
    """A small file with an ``Events`` tree of the given flat or jagged columns."""
    with uproot.recreate(path) as file:
        file["Events"] = columns
    return path


def write_tree(path: Path, **columns: object) -> Path:
    """The same as a TTree, as CMSSW writes NanoAOD (uproot writes an RNTuple by default)."""
    types = {
        name: column.type.content if isinstance(column, ak.Array) else column.dtype
        for name, column in columns.items()
    }
    with uproot.recreate(path) as file:
        file.mktree("Events", types).extend(columns)
    return path


def event_ids(n: int) -> dict[str, np.ndarray]:
    return {
        "run": np.ones(n, dtype=np.uint32),
        "luminosityBlock": np.ones(n, dtype=np.uint32),
        "event": np.arange(n, dtype=np.uint64),
    }


# ----------------------------------------------------------------------- formats, versions


@pytest.mark.parametrize(
    ("name", "flavour", "version", "is_data", "entries", "treename"),
    [
        ("nano_dy.root", "nanoaod", "v6", False, 40, "Events"),
        ("nano_dimuon.root", "nanoaod", "v6", True, 40, "Events"),
        ("nano_tt_v15.root", "nanoaod", "v15", False, 200, "Events"),
        # Sold as "PFNano on v9", but its content is NanoAODv8: Fall17V1 electron MVA kept,
        # no LowPtElectron or boostedTau, and MetaData names CMSSW_10_6_20 for the NANO step.
        ("pfnano.root", "pfnano", "v8", False, 10, "Events"),
        # Outreach MC has generator particles but no genWeight; its version is unknowable.
        (OUTREACH, "outreach", None, False, 20, "aod2nanoaod/Events"),
        # Scouting has few standard markers: 16-bit indices say "v12 or later".
        ("scouting_nano.root", "scouting", "v12", False, 40, "Events"),
        ("nano_dy_empty.root", "nanoaod", "v6", False, 0, "Events"),
        # An extra tree "NotEvents" beside Events: Events is chosen.
        ("nano_dy_SpecialTree.root", "nanoaod", "v6", False, 40, "Events"),
    ],
)
def test_describe_real_files(nanoaod, name, flavour, version, is_data, entries, treename):
    with opened(nanoaod(name)) as (file, info):
        assert (info.flavour, info.version, info.is_data) == (flavour, version, is_data)
        assert (info.num_entries, info.treename) == (entries, treename)
        assert info.uuid == str(file.file.uuid)


def test_a_campaign_name_in_the_path_gives_the_version(nanoaod, tmp_path):
    copy = tmp_path / "RunIISummer20UL16NanoAODv9" / "nano_dy.root"
    copy.parent.mkdir()
    copy.write_bytes(nanoaod("nano_dy.root").read_bytes())
    with opened(copy) as (_, info):
        assert info.version == "v9"


@pytest.mark.parametrize(
    ("marker", "version"),
    [
        ({}, "v5"),
        ({"nFsrPhoton": np.zeros(2, dtype=np.int32)}, "v6"),
        ({"PuppiMET_ptJESUp": np.ones(2)}, "v7"),
        ({"DeepMETResolutionTune_pt": np.ones(2)}, "v8"),
        ({"nLowPtElectron": np.zeros(2, dtype=np.int32)}, "v9"),
        ({"Tau_idDeepTau2018v2p5VSjet": np.ones(2, dtype=np.uint8)}, "v10"),
        ({"Photon_seediEtaOriX": np.ones(2, dtype=np.int16)}, "v11"),
        ({"Rho_fixedGridRhoFastjetAll": np.ones(2)}, "v12"),
        (
            {
                "nJet": np.ones(2, dtype=np.int32),
                "Jet_genJetIdx": ak.values_astype([[0], [0]], np.int16),
            },
            "v12",
        ),
        ({"Jet_hfEmEF": np.ones(2)}, "v13"),
        ({"PFMET_pt": np.ones(2)}, "v14"),
        ({"Jet_btagUParTAK4B": np.ones(2)}, "v15"),
    ],
)
def test_the_newest_release_marker_gives_the_version(tmp_path, marker, version):
    path = write_events(tmp_path / "x.root", **event_ids(2), PV_npvsGood=np.ones(2), **marker)
    with opened(path) as (_, info):
        assert (info.flavour, info.version) == ("nanoaod", version)


def test_runs_sums_without_underscore_mean_v7(tmp_path):
    path = tmp_path / "x.root"
    with uproot.recreate(path) as file:
        file["Events"] = {**event_ids(2), "PV_npvsGood": np.ones(2)}
        file["Runs"] = {"run": np.ones(1, dtype=np.uint32), "genEventSumw": np.ones(1)}
    with opened(path) as (_, info):
        assert info.version == "v7"


def test_file_info_is_json_and_pickle_friendly(nanoaod):
    with opened(nanoaod("nano_dy.root")) as (_, info):
        assert json.loads(json.dumps(dataclasses.asdict(info)))["version"] == "v6"
        assert pickle.loads(pickle.dumps(info)) == info


def test_an_explicit_tree_name_is_used(nanoaod):
    path = nanoaod("nano_dy_SpecialTree.root")
    with open_file(str(path)) as file:
        assert describe(file, str(path), "NotEvents").treename == "NotEvents"
        with pytest.raises(InputFileError, match=r"has no tree 'Tree'.*NotEvents"):
            describe(file, str(path), "Tree")


# ----------------------------------------------------------------------- events


def test_events_are_read_lazily_branch_by_branch(nanoaod):
    """Touching the muon pt of a 2656-branch v15 file reads two branches (invariant 5)."""
    with opened(nanoaod("nano_tt_v15.root")) as (file, info):
        assert len(file[info.treename].keys()) == 2656
        log: list = []
        events = events_from(file, info, access_log=log)
        assert log == []
        assert ak.sum(events.Muon.pt) > 0
        assert {record.branch for record in log} == {"nMuon", "Muon_pt"}


def test_events_of_an_entry_range_carry_their_metadata(nanoaod):
    with opened(nanoaod("nano_dy.root")) as (file, info):
        events = events_from(file, info, entry_start=10, entry_stop=25, metadata={"dataset": "DY"})
        assert len(events) == 15
        assert events.metadata["dataset"] == "DY"
        assert events.metadata["nanoaod_version"] == "v6"
        assert (events.metadata["entrystart"], events.metadata["entrystop"]) == (10, 25)
        with pytest.raises(ValueError, match="not within the 40 entries"):
            events_from(file, info, entry_stop=41)


def test_the_files_of_a_dataset_share_one_schema_and_others_get_their_own(tmp_path):
    """The form is learnt once per kind of tree, not per file (each has a UUID of its own);
    a file whose branches differ, if only by a type, gets a form of its own, and its events
    are what it holds."""
    pt = ak.Array([[30.0], [20.0, 10.0]])
    kinematics = {"pt": pt, "eta": pt * 0, "phi": pt * 0, "mass": pt * 0, "charge": [[1], [-1, 1]]}
    muons = ak.zip(kinematics)
    dataset = [write_tree(tmp_path / f"{i}.root", **event_ids(2), Muon=muons) for i in range(3)]
    other = {
        "wider": write_tree(
            tmp_path / "wider.root",
            **event_ids(2),
            Muon=ak.zip({**kinematics, "dxy": ak.Array([[0.1], [0.2, 0.3]])}),
        ),
        "retyped": write_tree(
            tmp_path / "retyped.root",
            **event_ids(2),
            Muon=ak.zip({**kinematics, "pt": ak.values_astype(pt, np.float32)}),
        ),
    }
    schemas_module._SCHEMAS.clear()
    uuids = set()
    for path in dataset:
        with opened(path) as (file, info):
            uuids.add(info.uuid)
            assert events_from(file, info).Muon.pt.tolist() == [[30.0], [20.0, 10.0]]
    assert len(uuids) == 3 and len(schemas_module._SCHEMAS) == 1
    with opened(other["wider"]) as (file, info):
        assert events_from(file, info).Muon.dxy.tolist() == [[0.1], [0.2, 0.3]]
    with opened(other["retyped"]) as (file, info):
        muons = events_from(file, info).Muon
        assert muons.pt.layout.content.dtype == np.float32 and "dxy" not in muons.fields
    assert len(schemas_module._SCHEMAS) == 3


def test_an_empty_file_gives_no_events(nanoaod):
    with opened(nanoaod("nano_dy_empty.root")) as (file, info):
        events = events_from(file, info)
        assert len(events) == 0
        assert len(events.Muon.pt) == 0


def test_pfnano_jets_reach_their_pf_candidates(nanoaod):
    """The PF candidates of a jet add up to the jet's raw momentum."""
    with opened(nanoaod("pfnano.root")) as (file, info):
        assert issubclass(schema_for(info), PFNanoAODSchema)
        jets = events_from(file, info).Jet
        candidates = jets.constituents.pf
        px = ak.sum(candidates.pt * np.cos(candidates.phi), axis=-1)
        py = ak.sum(candidates.pt * np.sin(candidates.phi), axis=-1)
        raw_pt = jets.pt * (1 - jets.rawFactor)
        assert ak.all(abs(np.hypot(px, py) / raw_pt - 1) < 0.01)
        assert ak.all(ak.num(candidates, axis=-1) == jets.nConstituents)


def test_outreach_file_has_muons_and_electrons_as_four_vectors(nanoaod):
    path = nanoaod(OUTREACH)
    with opened(path) as (file, info):
        events = events_from(file, info)
        muon_pt = file[info.treename]["Muon_pt"].array()
        assert ak.all(ak.flatten(events.Muon.pt) == ak.flatten(muon_pt))
        pairs = events.Electron[ak.num(events.Electron) >= 2]
        assert ak.all((pairs[:, 0] + pairs[:, 1]).mass > 0)
        assert ak.all(events.Muon.charge**2 == 1)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "name",
    [
        "nano_dy.root",
        "nano_dimuon.root",
        "nano_tt_v15.root",
        "pfnano.root",
        OUTREACH,
        "scouting_nano.root",
    ],
)
def test_real_files_open_without_schema_warnings(nanoaod, name):
    """No "Missing cross-reference index" or "Photon_mass already exists" noise."""
    with opened(nanoaod(name)) as (file, info):
        events = events_from(file, info)
        assert len(events) == info.num_entries


def _muons_without_jets(path: Path, **extra: object) -> Path:
    return write_events(
        path,
        **event_ids(2),
        genWeight=np.ones(2),
        nMuon=np.array([1, 0], dtype=np.int32),
        Muon_pt=ak.Array([[30.0], []]),
        Muon_eta=ak.Array([[0.5], []]),
        Muon_phi=ak.Array([[1.0], []]),
        Muon_mass=ak.Array([[0.106], []]),
        Muon_charge=ak.Array([[-1], []]),
        Muon_jetIdx=ak.Array([[0], []]),
        **extra,
    )


def test_a_skim_that_dropped_a_link_target_still_warns(tmp_path):
    """Standard NanoAOD keeps coffea's warning when an index's target collection is gone."""
    path = _muons_without_jets(tmp_path / "skim.root", PV_npvsGood=np.ones(2, dtype=np.int32))
    with opened(path) as (file, info):
        assert info.flavour == "nanoaod"
        with pytest.warns(RuntimeWarning, match="target for Muon_jetIdx => Jet"):
            events_from(file, info)


@pytest.mark.filterwarnings("error")
def test_a_reduced_file_without_a_link_target_is_quiet(tmp_path):
    path = _muons_without_jets(tmp_path / "reduced.root")
    with opened(path) as (file, info):
        assert (info.flavour, info.version) == ("outreach", None)
        assert ak.sum(events_from(file, info).Muon.pt) == 30.0


# ----------------------------------------------------------------------- bad input


def test_missing_luminosity_block_is_refused(nanoaod):
    path = nanoaod("missing_luminosityBlock.root")
    with open_file(str(path)) as file, pytest.raises(InputFileError) as raised:
        describe(file, str(path))
    message = str(raised.value)
    assert "missing_luminosityBlock.root" in message
    assert "branch 'luminosityBlock' is missing from tree 'Events'" in message


def test_a_file_without_events_tree_lists_its_trees(tmp_path):
    path = tmp_path / "runs_only.root"
    with uproot.recreate(path) as file:
        file.mktree("Runs", {"run": np.uint32})
    with (
        open_file(str(path)) as file,
        pytest.raises(InputFileError, match="trees in the file: Runs"),
    ):
        describe(file, str(path))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match=r"nope\.root: file not found"):
        open_file(str(tmp_path / "nope.root"))


def test_a_text_file_is_not_a_root_file(tmp_path):
    path = tmp_path / "notes.root"
    path.write_text("these are not the events you are looking for\n")
    with pytest.raises(
        InputFileError, match=r"notes\.root: is not a ROOT file \(it starts with b'thes'\)"
    ):
        open_file(str(path))


@pytest.mark.parametrize("kept", [0.5, 0.999])
def test_a_truncated_copy_is_refused(nanoaod, tmp_path, kept):
    """Cut early, uproot cannot open it; cut near the end, it could, but fEND says otherwise."""
    data = nanoaod("nano_dy.root").read_bytes()
    path = tmp_path / "cut.root"
    path.write_bytes(data[: int(len(data) * kept)])
    with pytest.raises(InputFileError, match=r"cut\.root: is truncated") as raised:
        open_file(str(path))
    assert "again" in raised.value.hint


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server of ``tmp_path``: (base URL, directory)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def test_http_errors_are_input_errors(http_dir):
    url, directory = http_dir
    (directory / "login.root").write_text("<!DOCTYPE html><p>please log in</p>")
    with pytest.raises(InputFileError, match=r"gone\.root: file not found"):
        open_file(f"{url}/gone.root")
    with pytest.raises(InputFileError, match=r"is not a ROOT file \(it starts with b'<!DO'\)"):
        open_file(f"{url}/login.root")


# ----------------------------------------------------------------------- layout


@pytest.mark.parametrize("module", [events_module, nanoaod_module, schemas_module])
def test_the_modules_of_every_chunk_draw_no_tables(module):
    """rich is for ``opencoffea inspect`` (:mod:`opencoffea.inspection`), not the hot path."""
    imported = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] == "rich"}
