"""The manifest of official payloads: which files and keys each era takes, and where to get them.

``corrections/manifest.yaml`` (shipped inside the package as
``opencoffea/corrections/manifest.yaml``) names, for each data-taking era, the CMS JSON-POG
payloads (``POG/<POG>/<era>/<file>.json.gz``) with their size and checksums, the keys an
analysis takes from each (with the inputs they declare), the jet-correction keys by data
period, and the year strings the EGM and MUO payloads expect. Schema first: the pydantic
models below carry the rules, and a manifest that breaks one does not load.

Where the payloads are
    :func:`payload_root` is an explicit directory, else ``$OPENCOFFEA_CORRECTIONS``, else the
    cache (``cache_dir("corrections")``), where :func:`fetch` puts them. A root may be the
    cache, a jsonpog-integration checkout (CVMFS:
    ``/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration``) or the directory holding
    one: a payload is looked for at its JSON-POG path, under ``jsonpog-integration/``, and
    under the other names the manifest knows it by (``found_as``).

Checksums
    Each payload's sha256 is recorded (adler32 too, the portal's algorithm). A file with
    another checksum is another version of the payload, not necessarily a bad one (JSON-POG
    updates its files in place): :meth:`Payload.verify` says which, and the checksum is what
    the provenance of a result records.

Fetching
    :func:`fetch` copies an era's payloads into the cache from a local directory, refusing
    versions the manifest does not know unless ``any_version``; or, without a directory,
    downloads the portal's open-data copy (record 12508, one tar file, verified against the
    record's adler32) and extracts the era's files only. The archive is refused as a whole if
    any member would land outside it (absolute path, ``..``), and only regular files are
    extracted, each to the path the manifest gives, never to the member's own name.

Example:
    >>> era = load_manifest().era("2016postVFP_UL")
    >>> era.jets.algorithm, era.uses["electron"].year
    ('AK4PFchs', '2016postVFP')
    >>> jme = era.jet_corrections("/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration")
    ... # doctest: +SKIP
    >>> jme.jec_key(is_data=True, run=280000)  # doctest: +SKIP
    'Summer19UL16_RunFGH_V7_DATA_L1L2L3Res_AK4PFchs'
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import importlib.resources
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, BinaryIO, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..datasets.cache import cache_dir
from ..errors import CorrectionError
from ..util import atomic_path, did_you_mean, sha256_of
from .jets import JetCorrections

__all__ = [
    "ENV_ROOT",
    "CorrectionInfo",
    "Era",
    "FetchResult",
    "Manifest",
    "Payload",
    "PayloadFile",
    "describe_payload",
    "fetch",
    "find_payload_file",
    "load_manifest",
    "payload_root",
]

ENV_ROOT = "OPENCOFFEA_CORRECTIONS"
"""The environment variable naming a payload directory (a jsonpog-integration checkout)."""

_MANIFEST = "manifest.yaml"
_CHECKOUT = "jsonpog-integration"  # a root may hold the checkout rather than be it
_COMPOUND = "L1L2L3Res"
_TYPE1_L1 = "L1FastJet"  # the level met.py asks jec_factor for
_CHUNK = 1 << 20


# ---------------------------------------------------------------------------- the schema


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _relative(path: str) -> str:
    """A path inside a payload root: relative, '/'-separated, never leaving the root."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or ".." in parts or "\\" in path:
        raise ValueError(f"{path!r} must be a relative path inside the payload root, without '..'")
    return str(PurePosixPath(*parts))


_RelativePath = Annotated[str, AfterValidator(_relative)]


class PortalSource(_Model):
    """The portal's open-data copy of the payloads: one archive of one record."""

    record: int
    file: str
    size: int = Field(gt=0)
    checksum: str = Field(pattern=r"^adler32:[0-9a-f]{1,8}$")


class Sources(_Model):
    """Where payloads come from: the portal record, and known local checkouts."""

    portal: PortalSource
    directories: tuple[str, ...] = ()


class Payload(_Model):
    """One payload file of an era: where it lives, its checksums, the keys taken from it.

    ``keys`` maps each correction (or compound correction) an analysis takes to the names of
    the inputs it declares, in order, as the recorded version of the file declares them.

    Example:
        >>> pu = load_manifest().era("2016postVFP_UL").payloads["puWeights"]
        >>> pu.pog, pu.path
        ('LUM', 'POG/LUM/2016postVFP_UL/puWeights.json.gz')
        >>> pu.keys["Collisions16_UltraLegacy_goldenJSON"]
        ('NumTrueInteractions', 'weights')
    """

    name: str = ""  # its key in the era's payloads, filled in on loading
    pog: Literal["JME", "EGM", "MUO", "LUM", "BTV", "TAU"]
    path: _RelativePath
    found_as: tuple[_RelativePath, ...] = ()
    size: int = Field(gt=0)
    adler32: str = Field(pattern=r"^[0-9a-f]{8}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    note: str | None = None
    keys: dict[str, tuple[str, ...]]

    def locate(self, root: str | os.PathLike) -> Path | None:
        """The file under ``root`` (its JSON-POG path, in a checkout below it, or an alias)."""
        root = Path(root)
        candidates = [root / self.path, root / _CHECKOUT / self.path]
        candidates += [root / alias for alias in self.found_as]
        return next((path for path in candidates if path.is_file()), None)

    def verify(self, path: str | os.PathLike) -> str:
        """The sha256 of ``path``, which must be the version the manifest records.

        Raises :class:`CorrectionError` naming both checksums otherwise.

        Example:
            >>> era.payloads["jet_jerc"].verify(era.payload("jet_jerc"))  # doctest: +SKIP
            '082cfb0ccab5cee4b30d9fe4870ae7b665e6213ccf01c414d049c5b7b89c4b9e'
        """
        digest = sha256_of(path)
        if digest != self.sha256:
            raise CorrectionError(
                f"{path}: sha256 {digest} is not the version of {self.path} the manifest "
                f"records ({self.sha256}); another version of the payload, or a damaged copy"
            )
        return digest


class DataPeriod(_Model):
    """A data-taking period and the jet-correction key of its runs (both ends included)."""

    period: str
    first: int = Field(gt=0)
    last: int = Field(gt=0)
    key: str


class JetKeys(_Model):
    """The jet-correction keys of an era, as :class:`~.jets.JetCorrections` takes them.

    ``mc_l1`` is the simulation's L1 key, which type-1 MET uses; the code derives it from
    ``mc_jec`` (``L1L2L3Res`` → ``L1FastJet``) and the data ones likewise, so it must be that
    name. ``sources`` are the JES sources the era offers, for ``uncertainty`` (a pattern with
    ``{source}``); being a pattern, those keys are checked against the payload by the tests
    rather than listed under the payload's ``keys``.
    """

    payload: str
    algorithm: Literal["AK4PFchs", "AK4PFPuppi"]
    mc_jec: str
    data_jec: tuple[DataPeriod, ...] = ()
    mc_l1: str
    uncertainty: str | None = None
    sources: tuple[str, ...] = ()
    jer_resolution: str | None = None
    jer_scale_factor: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> JetKeys:
        named = [self.mc_jec, *(p.key for p in self.data_jec), self.mc_l1]
        wrong = [k for k in named if not k.endswith(f"_{self.algorithm}")]
        if wrong:
            raise ValueError(f"keys {wrong} are not of the jet algorithm {self.algorithm}")
        derived = self.mc_jec.replace(_COMPOUND, _TYPE1_L1)
        if _COMPOUND not in self.mc_jec or self.mc_l1 != derived:
            raise ValueError(
                f"mc_l1 must be {derived!r}: the code takes the L1 key from mc_jec "
                f"({_COMPOUND} → {_TYPE1_L1})"
            )
        if self.sources and (self.uncertainty is None or "{source}" not in self.uncertainty):
            raise ValueError("sources need an uncertainty pattern with '{source}' in it")
        return self

    def named_keys(self) -> list[str]:
        """The keys given by name (the JES pattern aside)."""
        keys = [self.mc_jec, *(p.key for p in self.data_jec), self.mc_l1]
        return keys + [k for k in (self.jer_resolution, self.jer_scale_factor) if k]


class Use(_Model):
    """Keys an analysis takes from one payload; ``year`` is the string its ``year`` input
    expects (EGM: ``"2016postVFP"``, MUO: ``"2016postVFP_UL"``), where it has one."""

    payload: str
    keys: tuple[str, ...]
    year: str | None = None
    working_points: tuple[str, ...] = ()


class Era(_Model):
    """One data-taking era: its payloads, jet-correction keys and other uses.

    Example:
        >>> era = load_manifest().era("2016preVFP_UL")
        >>> [(p.period, p.first, p.last) for p in era.jets.data_jec][-1]
        ('F', 277772, 278800)
        >>> era.uses["muon"].year
        '2016preVFP_UL'
    """

    name: str = ""  # its key in the manifest, filled in on loading
    description: str
    portal: bool  # whether the portal's open-data copy (sources.portal) has its payloads
    payloads: dict[str, Payload]
    jets: JetKeys | None = None
    uses: dict[str, Use] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _name_payloads(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("payloads"), dict):
            data = dict(data)
            data["payloads"] = {
                name: {**spec, "name": name} if isinstance(spec, dict) else spec
                for name, spec in data["payloads"].items()
            }
        return data

    @model_validator(mode="after")
    def _keys_are_listed(self) -> Era:
        wanted: list[tuple[str, str, list[str]]] = []
        if self.jets is not None:
            wanted.append(("jets", self.jets.payload, self.jets.named_keys()))
        wanted += [(f"uses.{n}", u.payload, list(u.keys)) for n, u in self.uses.items()]
        for where, payload, keys in wanted:
            if payload not in self.payloads:
                raise ValueError(
                    f"{where}: no payload {payload!r}{did_you_mean(payload, self.payloads)}"
                )
            unlisted = [k for k in keys if k not in self.payloads[payload].keys]
            if unlisted:
                raise ValueError(f"{where}: keys {unlisted} are not listed under {payload}.keys")
        return self

    def payload(self, name: str, root: str | os.PathLike | None = None) -> Path:
        """The absolute path of a payload under ``root`` (default :func:`payload_root`).

        ``name`` is a payload name (``"jet_jerc"``) or a POG with one payload here
        (``"LUM"``). The file must exist; :meth:`Payload.verify` checks its version.

        Example:
            >>> era.payload("LUM", "/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration")
            ... # doctest: +SKIP
            PosixPath('/cvmfs/.../POG/LUM/2016postVFP_UL/puWeights.json.gz')
        """
        spec = self._payload_named(name)
        root = payload_root(root)
        path = spec.locate(root)
        if path is None:
            raise CorrectionError(
                f"era {self.name}: no {spec.path} under {root}; fetch the era's payloads "
                f"(opencoffea corrections fetch {self.name}) or point ${ENV_ROOT} to a "
                "jsonpog-integration checkout"
            )
        return path.resolve()

    def jet_corrections(self, root: str | os.PathLike | None = None) -> JetCorrections:
        """The era's :class:`~.jets.JetCorrections`, with the payload's absolute path.

        Example:
            >>> jme = load_manifest().era("Summer22").jet_corrections(root)  # doctest: +SKIP
            >>> jme.puppi, jme.smears  # doctest: +SKIP
            (True, True)
        """
        if self.jets is None:
            raise CorrectionError(f"era {self.name} has no jet corrections in the manifest")
        jets = self.jets
        return JetCorrections(
            payload=str(self.payload(jets.payload, root)),
            mc_jec=jets.mc_jec,
            data_jec=[(p.first, p.last, p.key) for p in jets.data_jec],
            uncertainty=jets.uncertainty,
            jer_resolution=jets.jer_resolution,
            jer_scale_factor=jets.jer_scale_factor,
        )

    def status(self, root: str | os.PathLike | None = None) -> list[PayloadFile]:
        """Each payload as found under ``root`` (default :func:`payload_root`), or missing."""
        root = payload_root(root)
        found = [(spec, spec.locate(root)) for spec in self.payloads.values()]
        return [PayloadFile(spec, path, path and sha256_of(path)) for spec, path in found]

    def _payload_named(self, name: str) -> Payload:
        if name in self.payloads:
            return self.payloads[name]
        of_pog = [p.name for p in self.payloads.values() if p.pog == name]
        if len(of_pog) == 1:
            return self.payloads[of_pog[0]]
        hint = (
            f"POG {name} has several here, name one: {', '.join(of_pog)}"
            if of_pog
            else f"payloads: {', '.join(self.payloads)}"
        )
        raise CorrectionError(
            f"era {self.name} has no payload {name!r}{did_you_mean(name, self.payloads)}; " + hint
        )


class Manifest(_Model):
    """The whole manifest: the sources of payloads and the eras.

    Example:
        >>> manifest = load_manifest()
        >>> sorted(manifest.eras)
        ['2016postVFP_UL', '2016preVFP_UL', 'Summer22']
        >>> manifest.sources.portal.record
        12508
    """

    schema_version: Literal[1]
    sources: Sources
    eras: dict[str, Era]

    @model_validator(mode="before")
    @classmethod
    def _name_eras(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("eras"), dict):
            data = dict(data)
            data["eras"] = {
                name: {**spec, "name": name} if isinstance(spec, dict) else spec
                for name, spec in data["eras"].items()
            }
        return data

    def era(self, name: str) -> Era:
        """The era ``name``; an unknown one is an error that suggests the nearest.

        Example:
            >>> load_manifest().era("2016postVFP")
            Traceback (most recent call last):
            ...
            opencoffea.corrections.payloads.CorrectionError: no era '2016postVFP' in the ...
        """
        if name in self.eras:
            return self.eras[name]
        raise CorrectionError(
            f"no era {name!r} in the payload manifest{did_you_mean(name, self.eras)}; "
            f"eras: {', '.join(self.eras)}"
        )


# ---------------------------------------------------------------------------- loading


def load_manifest(path: str | os.PathLike | None = None) -> Manifest:
    """The manifest at ``path``, by default the one shipped with opencoffea (read once).

    The default is found inside the installed package (``opencoffea/corrections/``), else in
    the top-level ``corrections/`` of a source checkout (an editable install).

    Example:
        >>> load_manifest().era("Summer22").payloads["jet_jerc"].found_as
        ('jet_jerc_Summer22_V3.json.gz',)
    """
    if path is None:
        return _default_manifest()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CorrectionError(f"cannot read the payload manifest {path}: {err.strerror}") from None
    return _parse(text, str(path))


@functools.lru_cache(maxsize=1)
def _default_manifest() -> Manifest:
    packaged = importlib.resources.files(__package__) / _MANIFEST
    if packaged.is_file():
        return _parse(packaged.read_text(encoding="utf-8"), str(packaged))
    checkout = Path(__file__).resolve().parents[3] / "corrections" / _MANIFEST
    return load_manifest(checkout)


def _parse(text: str, source: str) -> Manifest:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CorrectionError(f"{source}: not valid YAML: {err}") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'top level'}: {e['msg']}" for e in err.errors()[:5]
        )
        raise CorrectionError(f"{source}: not a valid payload manifest: {problems}") from None


def payload_root(explicit: str | os.PathLike | None = None) -> Path:
    """Where payloads are read from: ``explicit``, else ``$OPENCOFFEA_CORRECTIONS``, else the
    cache directory that :func:`fetch` fills.

    Example:
        >>> payload_root().name  # doctest: +SKIP
        'corrections'
        >>> payload_root("/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration")
        ... # doctest: +SKIP
        PosixPath('/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration')
    """
    if explicit is not None:
        path, given = Path(explicit).expanduser(), "given"
    elif os.environ.get(ENV_ROOT):
        path, given = Path(os.environ[ENV_ROOT]).expanduser(), f"from ${ENV_ROOT}"
    else:
        return cache_dir("corrections")
    if not path.is_dir():
        raise CorrectionError(
            f"payload directory {path} ({given}) does not exist; give a jsonpog-integration "
            "checkout, or fetch the payloads (opencoffea corrections fetch ERA)"
        )
    return path


# ---------------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class PayloadFile:
    """A payload of an era as found somewhere: its path and sha256, or missing (None).

    ``state`` is ``"verified"`` (the version the manifest records), ``"other version"`` or
    ``"missing"``.
    """

    payload: Payload
    path: Path | None
    sha256: str | None

    @property
    def state(self) -> Literal["verified", "other version", "missing"]:
        if self.path is None:
            return "missing"
        return "verified" if self.sha256 == self.payload.sha256 else "other version"


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did: the era's payloads (fetched or missing), from where, into where.

    ``notes`` are things the user should know that did not stop the fetch.
    """

    era: str
    root: Path
    source: str
    files: tuple[PayloadFile, ...]
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        """The names of the payloads the source did not have."""
        return [f.payload.name for f in self.files if f.path is None]


def fetch(
    era: str | Era,
    *,
    source: str | os.PathLike | None = None,
    server: str | None = None,
    any_version: bool = False,
    to: str | os.PathLike | None = None,
    progress: bool = True,
) -> FetchResult:
    """Put an era's payloads into the cache (or ``to``), each at its JSON-POG path.

    From ``source``, a local directory (a jsonpog-integration checkout, or a directory
    holding one or the files under the names the manifest knows): every payload is checked
    against the manifest first, and nothing is copied if one is another version, unless
    ``any_version``. Without ``source``: the portal's open-data archive (record 12508 on
    ``server``, by default the CERN portal or ``$OPENCOFFEA_PORTAL``), downloaded once into
    the portal's cache and verified against the record, of which only the era's files are
    extracted. Payloads the source lacks are listed in :attr:`FetchResult.missing`.

    Example:
        >>> result = fetch("2016postVFP_UL",
        ...                source="/cvmfs/cms.cern.ch/rsync/cms-nanoAOD/jsonpog-integration")
        ... # doctest: +SKIP
        >>> [f.state for f in result.files]  # doctest: +SKIP
        ['verified', 'verified', 'verified', 'verified', 'verified', 'verified', 'verified']
    """
    manifest = load_manifest()
    era = manifest.era(era) if isinstance(era, str) else era
    root = Path(to).expanduser() if to is not None else cache_dir("corrections")
    if source is not None:
        return _from_directory(era, Path(source).expanduser(), root, any_version)
    return _from_portal(era, manifest.sources, root, server, progress)


def _from_directory(era: Era, directory: Path, root: Path, any_version: bool) -> FetchResult:
    if not directory.is_dir():
        raise CorrectionError(
            f"{directory} is not a directory: give a jsonpog-integration checkout"
        )
    found = []
    for payload in era.payloads.values():
        path = payload.locate(directory)
        found.append(PayloadFile(payload, path, path and sha256_of(path)))
    unknown = [f for f in found if f.state == "other version"]
    if unknown and not any_version:
        names = ", ".join(f"{f.path} (sha256 {f.sha256[:12]}…)" for f in unknown)
        raise CorrectionError(
            f"not the versions the manifest records for {era.name}: {names}; nothing was "
            "copied. Take them anyway with --any-version (their checksums go into the "
            "provenance of results), or fetch from the portal"
        )
    files = []
    for file in found:
        if file.path is None:
            files.append(file)
            continue
        destination = root / file.payload.path
        with file.path.open("rb") as stream:
            digest = _install(stream, destination)
        if digest != file.sha256:
            destination.unlink()
            raise CorrectionError(f"{file.path} changed while it was copied; fetch it again")
        files.append(PayloadFile(file.payload, destination, digest))
    return FetchResult(era.name, root, str(directory), tuple(files))


def _from_portal(
    era: Era, sources: Sources, root: Path, server: str | None, progress: bool
) -> FetchResult:
    from ..datasets.download import download
    from ..datasets.portal import Portal

    known = sources.portal
    if not era.portal:
        hint = f" (e.g. {sources.directories[0]})" if sources.directories else ""
        raise CorrectionError(
            f"era {era.name} is not in the portal's open-data copy (record {known.record}); "
            f"fetch it from a jsonpog-integration checkout: opencoffea corrections fetch "
            f"{era.name} --from DIR{hint}"
        )
    portal = Portal(server)
    record = portal.record(known.record)
    file = next((f for f in record.files if f.name == known.file), None)
    if file is None:
        names = ", ".join(f.name for f in record.files) or "no files"
        raise CorrectionError(
            f"record {known.record} on {portal.server} has no {known.file} (it has {names}); "
            "fetch from a jsonpog-integration checkout instead (--from DIR)"
        )
    notes = []
    if (file.size, _adler32_value(file.checksum)) != (known.size, _adler32_value(known.checksum)):
        notes.append(
            f"{known.file} on {portal.server} ({file.size:,} bytes, {file.checksum}) is not the "
            f"one the manifest records ({known.size:,} bytes, {known.checksum}): it was "
            "verified against the portal's record, and each payload is checked below"
        )
    where = portal.cache_path / f"files_{known.record}"
    (archive,) = download(
        dataclasses.replace(record, files=(file,)), where, portal=portal, progress=progress
    )
    files = _extract(archive, era, root)
    return FetchResult(
        era.name, root, f"record {known.record} ({portal.server})", tuple(files), tuple(notes)
    )


def _extract(archive: Path, era: Era, root: Path) -> list[PayloadFile]:
    """Extract the era's payloads from a tar archive, safely, to their manifest paths."""
    tails = [
        (PurePosixPath(name).parts, payload)
        for payload in era.payloads.values()
        for name in (payload.path, *payload.found_as)
    ]
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith(("/", "\\")) or ".." in parts:
                    raise CorrectionError(
                        f"{archive}: refused: member {member.name!r} would be written outside "
                        "the directory it is extracted to; nothing was extracted. The archive "
                        "matches the portal's record: report it to the portal"
                    )
            chosen: dict[str, tarfile.TarInfo] = {}
            for member in members:
                parts = PurePosixPath(member.name).parts
                for tail, payload in tails:
                    if parts[-len(tail) :] == tail and payload.name not in chosen:
                        if not member.isreg():
                            raise CorrectionError(
                                f"{archive}: refused: {member.name} is not a regular file "
                                "(a link or a device); nothing more was extracted"
                            )
                        chosen[payload.name] = member
            files = []
            for payload in era.payloads.values():
                member = chosen.get(payload.name)
                if member is None:
                    files.append(PayloadFile(payload, None, None))
                    continue
                destination = root / payload.path
                with tar.extractfile(member) as stream:
                    digest = _install(stream, destination)
                files.append(PayloadFile(payload, destination, digest))
            return files
    except (tarfile.TarError, EOFError) as err:
        raise CorrectionError(f"{archive}: not a readable tar archive ({err})") from None


def _install(stream: BinaryIO, destination: Path) -> str:
    """Write a stream to ``destination`` through a temporary name; returns its sha256."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_path(destination) as partial, partial.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _adler32_value(checksum: str | None) -> int | None:
    """An adler32 checksum as a number: the portal sometimes drops leading zeros."""
    algorithm, _, value = (checksum or "").partition(":")
    try:
        return int(value, 16) if algorithm.lower() == "adler32" else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------- describing


@dataclass(frozen=True)
class CorrectionInfo:
    """What a payload says of one of its corrections (``correction summary``, in short).

    ``inputs`` and ``output`` are ``(name, type, description)``; ``version`` is None for a
    compound correction, which has none.
    """

    name: str
    version: int | None
    description: str | None
    inputs: tuple[tuple[str, str, str | None], ...]
    output: tuple[str, str, str | None]
    compound: bool = False


def find_payload_file(name: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """A payload file given as a path, or relative to the payload root (``POG/LUM/...``).

    Example:
        >>> find_payload_file("POG/LUM/2016postVFP_UL/puWeights.json.gz")  # doctest: +SKIP
        PosixPath('/home/me/.cache/opencoffea/corrections/POG/LUM/2016postVFP_UL/...')
    """
    given = Path(name).expanduser()
    if given.is_file():
        return given
    base = payload_root(root)
    for path in (base / given, base / _CHECKOUT / given):
        if path.is_file():
            return path
    raise CorrectionError(
        f"no payload file {name}: neither a file nor under the payload root {base}"
    )


def describe_payload(path: str | os.PathLike) -> tuple[str | None, list[CorrectionInfo]]:
    """The description of a payload file and of each of its corrections, compound ones last.

    Only the headers are read (the JSON, not the correctionlib model of every bin), so a
    large payload is described at once.

    Example:
        >>> text, corrections = describe_payload("puWeights.json.gz")  # doctest: +SKIP
        >>> corrections[0].name, [i[0] for i in corrections[0].inputs]  # doctest: +SKIP
        ('Collisions16_UltraLegacy_goldenJSON', ['NumTrueInteractions', 'weights'])
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    except (OSError, ValueError, EOFError) as err:
        raise CorrectionError(f"{path}: not a correctionlib payload ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("corrections"), list):
        raise CorrectionError(f"{path}: not a correctionlib payload (no 'corrections' list)")
    try:
        infos = [_info(c, compound=False) for c in data["corrections"]]
        infos += [_info(c, compound=True) for c in data.get("compound_corrections") or []]
    except (KeyError, TypeError) as err:
        raise CorrectionError(f"{path}: a correction without {err} (not a valid payload)") from None
    return data.get("description"), infos


def _info(correction: dict[str, Any], *, compound: bool) -> CorrectionInfo:
    def variable(v: dict[str, Any]) -> tuple[str, str, str | None]:
        return (v["name"], v["type"], v.get("description"))

    return CorrectionInfo(
        name=correction["name"],
        version=None if compound else correction.get("version"),
        description=correction.get("description"),
        inputs=tuple(variable(v) for v in correction["inputs"]),
        output=variable(correction["output"]),
        compound=compound,
    )
