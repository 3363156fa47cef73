"""The CERN Open Data portal client, download and ``opencoffea datasets``, against a stand-in.

The stand-in (``tests/portal_server.py``, fixture ``portal_server``) is a real HTTP server
on 127.0.0.1 answering from the portal's own records and serving real NanoAOD files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import uproot

from opencoffea.cli import main
from opencoffea.datasets import portal as portal_module
from opencoffea.datasets.download import checksum, download, golden_json
from opencoffea.datasets.portal import Portal, default_server
from opencoffea.datasets.records import PortalFile
from opencoffea.errors import PortalError

from .conftest import TESTDATA
from .portal_server import DATA_DIR, DATA_JSON, DATA_TXT, DY_XSEC, MC, MC_DIR

NANOAOD = TESTDATA / "nanoaod"
MUON_GOLDEN = (
    TESTDATA / "lumimasks" / "Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON_MuonPhys.txt"
)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Retries as in real use, but with back-offs of milliseconds."""
    monkeypatch.setattr(portal_module, "BACKOFF", 0.01)


def client(server, **options) -> Portal:
    return Portal(server.url, **options)


def fetched(server, prefix: str) -> list:
    """The requests the stand-in received for paths starting with ``prefix``."""
    return [r for r in server.requests if r.path.startswith(prefix)]


# ---------------------------------------------------------------------------- records


def test_a_dataset_resolves_with_the_files_of_its_json_index(portal_server):
    record = client(portal_server).dataset(DATA_JSON)

    assert record.title == f"/DoubleMuon/Run2018A-test-{DATA_JSON}/NANOAOD"
    assert (record.type, record.kind, record.year, record.experiment) == (
        "Dataset",
        "data",
        "2018",
        "CMS",
    )
    assert record.validated_runs == (14220, 14221)  # full validation first, then muons only
    assert record.cross_section_pb is None
    real = NANOAOD / "nano_dimuon.root"
    assert [(f.name, f.size, f.checksum) for f in record.files] == [
        (f"nano_dimuon_{n}.root", real.stat().st_size, checksum(real)) for n in (1, 2)
    ]
    # The JSON index is read (it has sizes and checksums); the text one is not needed.
    assert [r.path.rsplit(".", 1)[-1] for r in fetched(portal_server, DATA_DIR)] == ["json"]


def test_a_text_index_gives_the_files_without_size_or_checksum(portal_server):
    record = client(portal_server).dataset(DATA_TXT)
    assert [(f.name, f.size, f.checksum) for f in record.files] == [
        ("nano_dimuon_1.root", None, None),
        ("nano_dimuon_2.root", None, None),
    ]


def test_file_indexes_inline_in_the_api_answer_need_no_more_requests(portal_server):
    record = client(portal_server).dataset(30555)
    assert record.doi == "10.7483/OPENDATA.CMS.UZD7.Z50M"
    assert (record.number_events, record.number_files) == (48912812, 28)
    assert len(record.files) == 4 and record.files[0].name.endswith(".root")
    assert record.validated_runs == (14220, 14221)
    assert [r.path for r in portal_server.requests] == ["/api/records/30555"]


def test_simulation_carries_its_cross_section_where_the_record_has_one(portal_server):
    portal = client(portal_server)
    dy = portal.dataset(MC)
    assert (dy.kind, dy.cross_section_pb, dy.validated_runs) == ("mc", DY_XSEC, ())
    assert dy.files == (
        PortalFile(
            f"root://eospublic.cern.ch/{MC_DIR}/nano_dy.root",
            (NANOAOD / "nano_dy.root").stat().st_size,
            checksum(NANOAOD / "nano_dy.root"),
        ),
    )
    # The 2012 reduced NanoAOD: derived datasets, told apart by their formats; no xsec given.
    higgs, muons = portal.dataset(12361), portal.dataset(12365)
    assert (higgs.kind, higgs.cross_section_pb) == ("mc", None)
    assert muons.kind == "data" and muons.files[0].name == "Run2012B_DoubleMuParked.root"


def test_a_validated_runs_record_is_not_a_dataset(portal_server):
    portal = client(portal_server)
    golden = portal.record(14220)
    assert (golden.type, golden.kind) == ("Environment", None)
    with pytest.raises(PortalError, match=r"record 14220 .* is an Environment record, not a"):
        portal.dataset(14220)


def test_file_urls_follow_the_server_or_stay_xrootd(portal_server):
    portal = client(portal_server)
    file = portal.dataset(MC).files[0]
    assert portal.url(file) == f"{portal_server.url}{MC_DIR}/nano_dy.root"
    assert portal.url(file, "root") == file.uri
    cern = Portal("https://opendata.cern.ch/")
    assert cern.url(file) == f"https://opendata.cern.ch{MC_DIR}/nano_dy.root"


def test_the_server_comes_from_the_environment_unless_given(portal_server, monkeypatch):
    monkeypatch.delenv("OPENCOFFEA_PORTAL", raising=False)
    assert default_server() == "https://opendata.cern.ch"
    monkeypatch.setenv("OPENCOFFEA_PORTAL", portal_server.url + "/")
    assert Portal().server == portal_server.url
    assert Portal("https://mirror.example").server == "https://mirror.example"
    monkeypatch.setenv("OPENCOFFEA_PORTAL", "opendata.cern.ch")
    with pytest.raises(PortalError, match="not an http"):
        Portal()


def test_uproot_reads_a_served_file_over_http(portal_server):
    portal = client(portal_server)
    url = portal.url(portal.dataset(MC).files[0])
    local = uproot.open(NANOAOD / "nano_dy.root")["Events"]["Muon_pt"].array()
    with uproot.open(url) as file:  # fsspec: one range a request
        assert file["Events"].num_entries == 40
    with uproot.open(url, handler=uproot.source.http.HTTPSource) as file:  # multipart ranges
        assert file["Events"]["Muon_pt"].array().tolist() == local.tolist()
    assert any(r.range for r in fetched(portal_server, MC_DIR))


# ---------------------------------------------------------------------------- cache


def test_a_second_resolution_needs_no_network(portal_server):
    first = client(portal_server).dataset(DATA_JSON)
    portal_server.stop()
    again = client(portal_server).dataset(DATA_JSON)
    assert again == first and again.files == first.files
    with pytest.raises(PortalError, match="cannot reach"):
        client(portal_server, refresh=True, retries=0).dataset(DATA_JSON)


def test_refresh_renews_the_cache(portal_server):
    client(portal_server).record(MC)
    portal_server.records[MC]["metadata"]["title"] = "renamed"
    assert client(portal_server).record(MC).title != "renamed"
    assert client(portal_server, refresh=True).record(MC).title == "renamed"
    assert client(portal_server).record(MC).title == "renamed"  # the cache was renewed


# ---------------------------------------------------------------------------- search


def test_search_with_the_portals_facets(portal_server):
    hits = client(portal_server).search("DoubleMuon", experiment="CMS", year=2016, format="nanoaod")
    assert sorted(h.recid for h in hits) == [30522, 30555]
    assert all(h.kind == "data" and h.year == "2016" for h in hits)
    (request,) = fetched(portal_server, "/api/records")
    assert request.query == {
        "q": ["DoubleMuon"],
        "page": ["1"],
        "size": ["20"],
        "experiment": ["CMS"],
        "year": ["2016"],
        "file_type": ["nanoaod"],
    }
    simulated = client(portal_server).search("", type="Dataset::Simulated")
    assert simulated and all(h.kind == "mc" for h in simulated)


# ---------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("404", f"record {MC} does not exist on http://127.0.0.1:.* check the number"),
        ("500", f"record {MC}: the portal at .* answered HTTP 500 .*3 attempts.*try again later"),
        ("malformed", rf"record {MC}: the portal .*\(not JSON, it begins '<html>"),
    ],
)
def test_portal_failures_are_one_clear_line(portal_server, fault, message):
    portal_server.fail(f"/api/records/{MC}", fault)
    with pytest.raises(PortalError, match=message) as error:
        client(portal_server, retries=2).record(MC)
    assert "\n" not in str(error.value)
    tries = 3 if fault == "500" else 1  # only server errors are retried
    assert len(fetched(portal_server, "/api/records")) == tries


def test_an_unreachable_portal_is_retried_within_bounds_then_named(portal_server):
    portal_server.stop()
    start = time.monotonic()
    with pytest.raises(PortalError) as error:
        client(portal_server, retries=2, backoff=0.05).record(MC)
    assert time.monotonic() - start < 2
    text = str(error.value)
    assert f"record {MC}: cannot reach the portal at {portal_server.url}" in text
    assert "--server" in text and "OPENCOFFEA_PORTAL" in text and "3 attempts" in text


def test_a_passing_server_error_is_retried(portal_server):
    portal_server.fail(f"/api/records/{MC}", "500", times=1)
    assert client(portal_server).record(MC).kind == "mc"
    assert len(fetched(portal_server, "/api/records")) == 2


def test_json_that_is_not_a_record_is_an_error(portal_server):
    portal_server.records[MC] = {"id": MC, "hits": []}
    with pytest.raises(PortalError, match=rf"record {MC}: .*\(no 'metadata' in the answer\)"):
        client(portal_server).record(MC)
    portal_server.records[MC] = {"id": MC, "metadata": {"recid": str(MC)}}
    with pytest.raises(PortalError, match=r"\(no title in the metadata\); try again"):
        client(portal_server).record(MC)


def test_a_malformed_search_answer_is_an_error(portal_server):
    portal_server.fail("/api/records/", "malformed")
    with pytest.raises(PortalError, match=r"search 'DoubleMuon': .*\(not JSON"):
        client(portal_server).search("DoubleMuon")


# ---------------------------------------------------------------------------- download


def test_download_verifies_and_does_not_fetch_again(portal_server, tmp_path):
    portal = client(portal_server)
    (path,) = download(MC, tmp_path, portal=portal, progress=False)
    assert path == tmp_path / "nano_dy.root"
    assert path.read_bytes() == (NANOAOD / "nano_dy.root").read_bytes()
    assert download(MC, tmp_path, portal=portal, progress=False) == [path]
    assert len(fetched(portal_server, MC_DIR)) == 1


def test_max_files_takes_the_first_files(portal_server, tmp_path):
    paths = download(DATA_JSON, tmp_path / "data", max_files=1, portal=client(portal_server))
    assert [p.name for p in paths] == ["nano_dimuon_1.root"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["nano_dimuon_1.root"]


def test_a_corrupted_download_is_removed_with_a_clear_error(portal_server, tmp_path):
    portal_server.fail(f"{MC_DIR}/nano_dy.root", "corrupt")
    with pytest.raises(PortalError, match=r"nano_dy.root \(record 990001\): the download does"):
        download(MC, tmp_path / "data", portal=client(portal_server), progress=False)
    assert list((tmp_path / "data").iterdir()) == []  # neither the file nor a .part is kept


def test_a_dropped_transfer_resumes_at_once(portal_server, tmp_path):
    portal_server.fail(f"{MC_DIR}/nano_dy.root", "drop", times=1)
    (path,) = download(MC, tmp_path, portal=client(portal_server), progress=False)
    assert path.read_bytes() == (NANOAOD / "nano_dy.root").read_bytes()
    first, second = fetched(portal_server, MC_DIR)
    half = (NANOAOD / "nano_dy.root").stat().st_size // 2
    assert (first.range, second.range) == (None, f"bytes={half}-")


def test_an_interrupted_download_resumes_in_the_next_call(portal_server, tmp_path):
    portal_server.fail(f"{MC_DIR}/nano_dy.root", "drop", times=1)
    with pytest.raises(PortalError, match=r"broke off .* run the download again to resume"):
        download(MC, tmp_path, portal=client(portal_server, retries=0), progress=False)
    part = tmp_path / "nano_dy.root.part"
    kept = part.stat().st_size
    assert 0 < kept < (NANOAOD / "nano_dy.root").stat().st_size
    (path,) = download(MC, tmp_path, portal=client(portal_server), progress=False)
    assert path.read_bytes() == (NANOAOD / "nano_dy.root").read_bytes() and not part.exists()
    assert fetched(portal_server, MC_DIR)[-1].range == f"bytes={kept}-"


def test_golden_json_is_fetched_verified_and_cached(portal_server):
    path = golden_json(14221, portal=client(portal_server))
    assert path.read_text() == MUON_GOLDEN.read_text()
    portal_server.stop()
    assert golden_json(14221, portal=client(portal_server)) == path


def test_golden_json_of_a_record_without_one(portal_server):
    with pytest.raises(PortalError, match=f"record {MC} .* has no golden JSON file"):
        golden_json(MC, portal=client(portal_server))
    with pytest.raises(PortalError, match=r"Collisions16_JSON\.txt \(record 14220\): HTTP 404"):
        golden_json(14220, portal=client(portal_server))  # the stand-in has not that file


# ---------------------------------------------------------------------------- CLI


def test_cli_search_show_and_files(portal_server, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # tables at full width, titles on one line
    server = ["--server", portal_server.url]
    assert main(["datasets", "search", "DoubleMuon", "--year", "2016", *server]) == 0
    out = capsys.readouterr().out
    assert "/DoubleMuon/Run2016H-UL2016_MiniAODv2_NanoAODv9-v1/NANOAOD" in out

    assert main(["datasets", "show", str(DATA_JSON), *server]) == 0
    out = capsys.readouterr().out
    for text in (f"10.7483/OPENDATA.CMS.TEST.{DATA_JSON}", "record 14220, 14221", "80", "data"):
        assert text in out
    assert main(["datasets", "show", str(MC), *server]) == 0
    assert f"{DY_XSEC:g} pb" in capsys.readouterr().out
    assert main(["datasets", "show", "14221", "--refresh", *server]) == 0  # any record
    assert "Collisions16_JSON_MuonPhys.txt" in capsys.readouterr().out

    assert main(["datasets", "files", str(DATA_JSON), *server]) == 0
    assert capsys.readouterr().out.split() == [
        f"{portal_server.url}{DATA_DIR}/nano_dimuon_{n}.root" for n in (1, 2)
    ]
    assert main(["datasets", "files", str(MC), "--protocol", "root", *server]) == 0
    assert capsys.readouterr().out.split() == [f"root://eospublic.cern.ch/{MC_DIR}/nano_dy.root"]


def test_cli_download(portal_server, capsys, tmp_path):
    args = ["datasets", "download", str(DATA_JSON), "--to", str(tmp_path), "--quiet"]
    assert main([*args, "--max-files", "1", "--server", portal_server.url]) == 0
    assert "1 file(s) of record 990002" in capsys.readouterr().err
    assert (tmp_path / "nano_dimuon_1.root").exists()
    txt = ["datasets", "download", str(DATA_TXT), "--to", str(tmp_path / "txt"), "--quiet"]
    assert main([*txt, "--server", portal_server.url]) == 0
    assert "2 unverified" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("action", "fault", "message"),
    [
        (["show", str(MC)], "404", "does not exist"),
        (["show", str(MC)], "500", "answered HTTP 500"),
        (["files", str(MC)], "malformed", "not JSON"),
        (["download", str(MC), "--to", "{tmp}/data"], "corrupt", "does not match the record"),
        (["show", str(MC)], "down", "cannot reach the portal"),
    ],
)
def test_cli_failures_exit_1_without_traceback(
    portal_server, capsys, tmp_path, action, fault, message
):
    action = [a.replace("{tmp}", str(tmp_path)) for a in action]
    path = f"{MC_DIR}/nano_dy.root" if fault == "corrupt" else f"/api/records/{MC}"
    if fault == "down":
        portal_server.stop()
    elif fault:
        portal_server.fail(path, fault)
    status = main(["datasets", *action, "--server", portal_server.url])
    captured = capsys.readouterr()
    assert status == 1
    assert "error:" in captured.err and message in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "data").exists() or list((tmp_path / "data").iterdir()) == []


def test_cli_bad_server_and_bare_command(capsys):
    assert main(["datasets", "show", "1", "--server", "opendata.cern.ch"]) == 1
    assert "not an http(s) URL" in capsys.readouterr().err
    assert main(["datasets"]) == 1
    assert "search" in capsys.readouterr().out


def test_the_console_script_reports_an_unknown_record_without_traceback(portal_server):
    done = subprocess.run(
        [sys.executable, "-m", "opencoffea.cli", "datasets", "show", "12345"],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENCOFFEA_PORTAL": portal_server.url},
        timeout=60,
    )
    assert done.returncode == 1
    assert "record 12345 does not exist" in done.stderr and "Traceback" not in done.stderr
