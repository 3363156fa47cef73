"""The payload manifest against the real payloads, and ``opencoffea corrections fetch|list``.

Every file the manifest names is checked where the test data has it (size, adler32, sha256),
every key it names is opened with correctionlib and its declared inputs compared, and the
year strings are evaluated in the payloads that expect them. Fetching is tried from a local
checkout and through a stand-in of the portal serving an archive built here, safe and unsafe.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from pathlib import Path

import awkward as ak
import pytest

from opencoffea.cli import main
from opencoffea.corrections.apply import jet_corrections
from opencoffea.corrections.describe import describe_payload
from opencoffea.corrections.fetch import fetch
from opencoffea.corrections.jets import correct_jets, jet_variations
from opencoffea.corrections.location import payload_root
from opencoffea.corrections.payloads import correction, evaluate, load_payload
from opencoffea.datasets.cache import cache_dir
from opencoffea.datasets.download import checksum
from opencoffea.eras import ENV_ROOT, load_manifest
from opencoffea.errors import CorrectionError
from opencoffea.events import describe, events_from, open_file
from opencoffea.jetkeys import L1, JetKeys
from opencoffea.util import NOMINAL

from .conftest import real_file

MANIFEST = load_manifest()
PAYLOADS = [(era.name, name) for era in MANIFEST.eras.values() for name in era.payloads]
POST_VFP = MANIFEST.era("2016postVFP_UL")
ARCHIVE = MANIFEST.sources.portal.file


@pytest.fixture
def corrections_dir() -> Path:
    """The test data's payloads: a jsonpog-integration checkout and the Summer22 file beside it."""
    return real_file("corrections")


@pytest.fixture
def cache(monkeypatch, tmp_path) -> Path:
    """An empty cache of this test, with no payload directory set in the environment."""
    monkeypatch.setenv("OPENCOFFEA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(ENV_ROOT, raising=False)
    return tmp_path / "cache" / "corrections"


def _found(era_name: str, name: str, root: Path) -> Path:
    path = MANIFEST.era(era_name).payloads[name].locate(root)
    if path is None:
        pytest.skip(f"{era_name} {name} is not in the test data under {root}")
    return path


# ------------------------------------------------------------------------------ the manifest


def test_the_manifest_names_the_eras_and_the_portal_record_as_the_portal_does():
    assert set(MANIFEST.eras) == {"2016postVFP_UL", "2016preVFP_UL", "Summer22"}
    record = real_file("opendata", "portal_fixture_records", "record_12508.json")
    (entry,) = json.loads(record.read_text())["files"]
    portal = MANIFEST.sources.portal
    assert entry["uri"].rsplit("/", 1)[-1] == portal.file
    assert (entry["size"], entry["checksum"]) == (portal.size, portal.checksum)
    assert {era.name for era in MANIFEST.eras.values() if era.portal} == {
        "2016postVFP_UL",
        "2016preVFP_UL",
    }


@pytest.mark.parametrize(("era", "name"), PAYLOADS)
def test_each_payload_is_the_recorded_file(era, name, corrections_dir):
    path = _found(era, name, corrections_dir)
    payload = MANIFEST.era(era).payloads[name]
    assert path.stat().st_size == payload.size
    assert checksum(path) == f"adler32:{payload.adler32}"
    assert payload.verify(path) == payload.sha256
    assert MANIFEST.era(era).payload(name, corrections_dir) == path.resolve()


@pytest.mark.parametrize(("era", "name"), PAYLOADS)
def test_each_key_is_in_its_payload_with_the_inputs_recorded(era, name, corrections_dir):
    cset = load_payload(_found(era, name, corrections_dir))
    for key, inputs in MANIFEST.era(era).payloads[name].keys.items():
        assert [i.name for i in correction(cset, key).inputs] == list(inputs), key


@pytest.mark.parametrize("era", sorted(MANIFEST.eras))
def test_the_jet_keys_cover_the_sources_and_the_l1_of_every_period(era, corrections_dir):
    spec = MANIFEST.era(era)
    _found(era, spec.jets.payload, corrections_dir)
    jme = jet_corrections(JetKeys(), spec, corrections_dir)
    assert Path(jme.payload).is_absolute()
    assert jme.puppi == (spec.jets.algorithm == "AK4PFPuppi")
    cset = load_payload(jme.payload)
    for source in spec.jets.sources:
        key = jme.uncertainty.format(source=source)
        assert [i.name for i in correction(cset, key).inputs] == ["JetEta", "JetPt"]
    correction(cset, jme.jec_key(is_data=False, level=L1))  # derived, as type-1 MET takes it
    for period in spec.jets.data_jec:
        for run in (period.first, period.last):
            assert jme.jec_key(is_data=True, run=run) == period.key
            correction(cset, jme.jec_key(is_data=True, run=run, level=L1))


def test_2016_periods_meet_at_the_vfp_change():
    """Pre-VFP F reaches the last run of the HIPM datasets, post-VFP F starts at the change."""
    pre = MANIFEST.era("2016preVFP_UL").jets.data_jec
    post = POST_VFP.jets.data_jec
    assert (pre[0].first, pre[-1].period, pre[-1].last) == (272007, "F", 278800)
    assert (post[0].period, post[0].first, post[-1].last) == ("F", 278769, 284044)


@pytest.mark.parametrize("era", ["2016postVFP_UL", "2016preVFP_UL"])
def test_the_year_strings_are_those_the_payloads_expect(era, corrections_dir):
    spec = MANIFEST.era(era)
    values = {"ValType": "sf", "eta": 1.0, "abseta": 1.0}
    for use in ("electron", "photon", "muon"):
        uses = spec.uses[use]
        cset = load_payload(_found(era, uses.payload, corrections_dir))
        for key in uses.keys:
            for wp in uses.working_points or ["-"]:
                pt = 15.0 if "Below20" in wp else 50.0
                sf = evaluate(
                    correction(cset, key), **values, pt=pt, year=uses.year, WorkingPoint=wp
                )
                assert math.isfinite(sf) and sf > 0, (key, wp)
    electron = load_payload(spec.payload("electron", corrections_dir))["UL-Electron-ID-SF"]
    with pytest.raises(IndexError, match="Category"):  # EGM spells it without "_UL"
        electron.evaluate(spec.uses["muon"].year, "sf", "Tight", 1.0, 50.0)
    pileup_cset = load_payload(spec.payload("LUM", corrections_dir))
    pileup = correction(pileup_cset, spec.uses["pileup"].keys[0])
    assert evaluate(pileup, NumTrueInteractions=20.0, weights="nominal") > 0


@pytest.mark.parametrize(
    ("era", "sample"), [("2016postVFP_UL", "nano_dy.root"), ("Summer22", "nano_tt_v15.root")]
)
def test_the_jet_corrections_of_an_era_are_what_correct_jets_takes(era, sample, nanoaod):
    root = real_file("corrections")
    _found(era, "jet_jerc", root)
    jme = jet_corrections(JetKeys(), MANIFEST.era(era), root)
    path = str(nanoaod(sample))
    file = open_file(path)
    events = events_from(file, describe(file, path), entry_stop=10)
    jets = correct_jets(events, jme, is_data=False, variations=jet_variations(["Total"]))
    assert set(jets) == set(jet_variations(["Total"]))
    assert len(jets[NOMINAL]) == 10
    assert ak.all(jets[NOMINAL].pt > 0) and ak.all(jets["jesTotalUp"].pt >= jets[NOMINAL].pt)


def test_an_unknown_era_suggests_the_nearest(capsys):
    with pytest.raises(CorrectionError, match=r"did you mean 'Summer22'"):
        MANIFEST.era("summer22")
    assert main(["corrections", "fetch", "2016postVFP", "--from", "."]) == 1
    err = capsys.readouterr().err
    assert "did you mean '2016postVFP_UL'" in err
    assert "Traceback" not in err and err.count("error:") == 1


def test_a_manifest_that_breaks_a_rule_says_which(tmp_path):
    text = (Path(__file__).parents[1] / "corrections" / "manifest.yaml").read_text()
    unlisted = tmp_path / "unlisted.yaml"
    unlisted.write_text(text.replace("mc_jec: Summer22_22Sep2023_V3_MC", "mc_jec: Summer22_V9_MC"))
    with pytest.raises(CorrectionError, match=r"eras\.Summer22\.jets.*must be|not listed"):
        load_manifest(unlisted)
    outside = tmp_path / "outside.yaml"
    outside.write_text(text.replace("path: POG/LUM/2016postVFP_UL/", "path: ../LUM/"))
    with pytest.raises(CorrectionError, match=r"puWeights\.path.*without '\.\.'"):
        load_manifest(outside)


def test_the_payload_root_is_explicit_then_environment_then_cache(cache, monkeypatch, tmp_path):
    assert payload_root() == cache
    monkeypatch.setenv(ENV_ROOT, str(tmp_path))
    assert payload_root() == tmp_path
    assert payload_root(tmp_path / "cache") == tmp_path / "cache"
    with pytest.raises(CorrectionError, match="does not exist"):
        payload_root(tmp_path / "nowhere")


# ------------------------------------------------------------------------------ fetch and list


def test_fetch_from_a_checkout_then_list(corrections_dir, cache, capsys):
    args = ["corrections", "fetch", "2016postVFP_UL", "--from", str(corrections_dir), "--quiet"]
    assert main(args) == 0
    for payload in POST_VFP.payloads.values():
        assert payload.verify(cache / payload.path) == payload.sha256
    assert Path(jet_corrections(JetKeys(), POST_VFP, payload_root()).payload).is_relative_to(cache)
    capsys.readouterr()

    assert main(["corrections", "list"]) == 0
    out = capsys.readouterr().out
    assert "2016postVFP_UL" in out and "7 verified" in out and "7 missing" in out  # preVFP

    assert main(["corrections", "list", "POG/JME/2016postVFP_UL/jet_jerc.json.gz"]) == 0
    out = capsys.readouterr().out
    assert "JetA (real)" in out and "compound" in out
    _, corrections = describe_payload(cache / POST_VFP.payloads["jet_jerc"].path)
    names = {c.name for c in corrections}
    assert set(POST_VFP.payloads["jet_jerc"].keys) <= names


def test_fetch_refuses_another_version_unless_told(cache, tmp_path, capsys):
    pu = POST_VFP.payloads["puWeights"]
    other = tmp_path / "checkout" / pu.path
    other.parent.mkdir(parents=True)
    other.write_bytes(b"not the recorded version")
    with pytest.raises(CorrectionError, match="not the versions the manifest records"):
        fetch(POST_VFP, source=tmp_path / "checkout")
    assert not (cache / pu.path).exists()

    result = fetch(POST_VFP, source=tmp_path / "checkout", any_version=True)
    states = {f.payload.name: f.state for f in result.files}
    assert states.pop("puWeights") == "other version"
    assert set(states.values()) == {"missing"} and sorted(result.missing) == sorted(states)
    args = ["corrections", "fetch", "2016postVFP_UL", "--from", str(tmp_path / "checkout")]
    assert main([*args, "--any-version"]) == 1  # payloads missing: said, and in the status
    assert "not found" in capsys.readouterr().err


def _archive(path: Path, members: dict[str, bytes | Path], link: str | None = None) -> Path:
    """A tar file of regular members (name → content or file), and a symbolic link if asked."""
    with tarfile.open(path, "w") as tar:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return path


def test_fetch_through_the_portal_extracts_the_era_only(portal_server, corrections_dir, tmp_path):
    checkout = corrections_dir / "jsonpog-integration"
    members = {p.path: checkout / p.path for p in POST_VFP.payloads.values()}
    pre_vfp = MANIFEST.era("2016preVFP_UL").payloads["puWeights"].path
    members |= {pre_vfp: checkout / pre_vfp, "README.md": b"JSON-POG payloads\n"}
    portal_server.serve_record(12508, [_archive(tmp_path / ARCHIVE, members)])

    result = fetch("2016postVFP_UL", server=portal_server.url, progress=False)
    assert [f.state for f in result.files] == ["verified"] * len(POST_VFP.payloads)
    root = result.root
    assert sorted(p.relative_to(root).as_posix() for p in (root / "POG").rglob("*.gz")) == sorted(
        p.path for p in POST_VFP.payloads.values()
    )
    assert any("not the one the manifest records" in note for note in result.notes)
    assert any(r.path.endswith(f"/12508/{ARCHIVE}") for r in portal_server.requests)


@pytest.mark.parametrize(
    ("member", "link"),
    [
        ("../evil", None),
        ("/tmp/opencoffea-evil", None),
        ("README.md", POST_VFP.payloads["met"].path),
    ],
)
def test_fetch_refuses_an_unsafe_archive(portal_server, tmp_path, capsys, member, link):
    pu = POST_VFP.payloads["puWeights"].path
    archive = _archive(tmp_path / ARCHIVE, {pu: b"payload", member: b"evil"}, link=link)
    portal_server.serve_record(12508, [archive])
    args = ["corrections", "fetch", "2016postVFP_UL", "--server", portal_server.url, "--quiet"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "refused" in err and (link or member) in err and "Traceback" not in err
    root = cache_dir("corrections")
    assert not (root / "POG").exists()  # nothing extracted, not even the safe member
    assert not (root.parent / "evil").exists() and not Path("/tmp/opencoffea-evil").exists()
