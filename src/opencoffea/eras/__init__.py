"""The payload manifest: for each data-taking era, its correction payloads and their keys.

``corrections/manifest.yaml`` (shipped inside the package as
``opencoffea/corrections/manifest.yaml``) names, for each era, the CMS JSON-POG payloads
(``POG/<POG>/<era>/<file>.json.gz``) with their size and checksums, the keys an analysis
takes from each (with the inputs they declare), the jet-correction keys by data period,
and the year strings the EGM and MUO payloads expect. Schema first: the pydantic models
below carry the rules, and a manifest that breaks one does not load.

Why a module of its own, at the top of the package: the manifest is read at both ends
of a run. The configuration checks a YAML file's ``era:`` against it before anything
runs (the keys of a scale factor, the era's jet keys); the corrections take their
payloads from it. Inside either, it would make the other import backwards; here it
imports neither, nor the datasets: only :mod:`opencoffea.jetkeys`, the errors and the
helpers. Where payloads are read from by default and how they are fetched (the portal
client) is the corrections' part: :mod:`opencoffea.corrections.location`,
:mod:`opencoffea.corrections.fetch`.

Finding a payload
    Under a root directory (the cache, a jsonpog-integration checkout, or the directory
    holding one), a payload is looked for at its JSON-POG path, under
    ``jsonpog-integration/``, and under the other names the manifest knows it by
    (``found_as``).

Checksums
    Each payload's sha256 is recorded (adler32 too, the portal's algorithm). A file with
    another checksum is another version of the payload, not necessarily a bad one (JSON-POG
    updates its files in place): :meth:`Payload.verify` says which, and the checksum is what
    the provenance of a result records.

Example:
    >>> era = load_manifest().era("2016postVFP_UL")
    >>> era.jets.algorithm, era.uses["electron"].year
    ('AK4PFchs', '2016postVFP')
    >>> era.payload("LUM", corrections_root).relative_to(corrections_root).as_posix()
    'POG/LUM/2016postVFP_UL/puWeights.json.gz'
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from ..errors import CorrectionError
from ..jetkeys import COMPOUND, L1, JetKeys, level_key
from ..util import did_you_mean, sha256_of
from .payloads import (
    CHECKOUT,
    ENV_ROOT,
    Model,
    Payload,
    PayloadFile,
    PortalSource,
    Sources,
)

__all__ = [
    "CHECKOUT",
    "ENV_ROOT",
    "Era",
    "EraJets",
    "Manifest",
    "Payload",
    "PayloadFile",
    "PortalSource",
    "Sources",
    "Use",
    "load_manifest",
]

_MANIFEST = "manifest.yaml"


class EraJets(JetKeys):
    """The jet corrections of an era: their payload (by name), keys, algorithm, JES sources.

    The keys are :class:`~opencoffea.jetkeys.JetKeys`; those of the single levels are
    derived from the compound keys (``L1L2L3Res`` → ``L1FastJet``), so the manifest lists
    them under the payload's keys but not here. ``sources`` are the JES sources the era
    offers for ``uncertainty``; being a pattern, those keys are checked against the
    payload by the tests rather than listed under the payload's keys.

    Example:
        >>> jets = load_manifest().era("Summer22").jets
        >>> jets.algorithm, jets.puppi, jets.sources[0]
        ('AK4PFPuppi', True, 'Total')
    """

    payload: str = Field(description="The name of the era's payload holding the keys.")
    mc_jec: str = Field(description="The compound JEC key of the era's simulation.")
    algorithm: Literal["AK4PFchs", "AK4PFPuppi"] = Field(description="The jet algorithm.")
    sources: tuple[str, ...] = Field(
        default=(), description="The JES sources the era offers, for ``uncertainty``."
    )

    @model_validator(mode="after")
    def _whole(self) -> EraJets:
        if not all(p.period for p in self.data_jec):
            raise ValueError("each data period needs its name (period:)")
        wrong = [k for k in self.named_keys() if not k.endswith(f"_{self.algorithm}")]
        if wrong:
            raise ValueError(f"keys {wrong} are not of the jet algorithm {self.algorithm}")
        compound = [self.mc_jec, *(p.key for p in self.data_jec)]
        if any(COMPOUND not in key for key in compound):
            raise ValueError(
                f"JEC keys must be compound ({COMPOUND}): the keys of the levels are derived"
            )
        if self.sources and self.uncertainty is None:
            raise ValueError("sources need an uncertainty pattern with '{source}' in it")
        return self

    def listed_keys(self) -> list[str]:
        """The keys the payload must list: the named ones, and the L1 keys type-1 MET takes.

        Example:
            >>> load_manifest().era("2016postVFP_UL").jets.listed_keys()[-1]  # an L1 key, last
            'Summer19UL16_RunFGH_V7_DATA_L1FastJet_AK4PFchs'
        """
        compound = [self.mc_jec, *(p.key for p in self.data_jec)]
        keys = [k for k in self.named_keys() if k != self.uncertainty]
        return keys + [level_key(key, L1) for key in dict.fromkeys(compound)]


class Use(Model):
    """Keys an analysis takes from one payload; ``year`` is the string its ``year`` input
    expects (EGM: ``"2016postVFP"``, MUO: ``"2016postVFP_UL"``), where it has one.

    Example:
        >>> electron = load_manifest().era("2016postVFP_UL").uses["electron"]
        >>> electron.payload, electron.keys, "Tight" in electron.working_points
        ('electron', ('UL-Electron-ID-SF',), True)
    """

    payload: str = Field(description="The name of one of the era's payloads.")
    keys: tuple[str, ...] = Field(description="The keys taken from it; the first by default.")
    year: str | None = Field(default=None, description="The value of its ``year`` input.")
    working_points: tuple[str, ...] = Field(
        default=(), description="The working points it has (EGM's ``WorkingPoint`` input)."
    )


class Era(Model):
    """One data-taking era: its payloads, jet-correction keys and other uses.

    Example:
        >>> era = load_manifest().era("2016preVFP_UL")
        >>> [(p.period, p.first, p.last) for p in era.jets.data_jec][-1]
        ('F', 277772, 278800)
        >>> era.uses["muon"].year
        '2016preVFP_UL'
    """

    name: str = Field(default="", description="Its key in the manifest (set on loading).")
    description: str = Field(description="Which data and simulation the era is.")
    portal: bool = Field(
        description="Whether the portal's open-data copy (sources.portal) has its payloads."
    )
    payloads: dict[str, Payload] = Field(description="Its payload files, by name.")
    jets: EraJets | None = Field(default=None, description="Its jet corrections.")
    uses: dict[str, Use] = Field(
        default_factory=dict,
        description="What analyses take from its other payloads (pileup, muon, electron, ...).",
    )

    @model_validator(mode="before")
    @classmethod
    def _name_payloads(cls, data: Any) -> Any:
        return _named(data, "payloads")

    @model_validator(mode="after")
    def _keys_are_listed(self) -> Era:
        wanted: list[tuple[str, str, list[str]]] = []
        if self.jets is not None:
            wanted.append(("jets", self.jets.payload, self.jets.listed_keys()))
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

    def payload(self, name: str, root: str | os.PathLike) -> Path:
        """The absolute path of a payload under ``root``.

        ``name`` is a payload name (``"jet_jerc"``) or a POG with one payload here
        (``"LUM"``). The file must exist; :meth:`Payload.verify` checks its version. The
        root is usually :func:`~opencoffea.corrections.location.payload_root`.

        Example:
            >>> era = load_manifest().era("2016postVFP_UL")
            >>> era.payload("jet_jerc", corrections_root).name
            'jet_jerc.json.gz'
        """
        spec = self.payload_named(name)
        path = spec.locate(root)
        if path is None:
            raise CorrectionError(
                f"era {self.name}: no {spec.path} under {root}; fetch the era's payloads "
                f"(opencoffea corrections fetch {self.name}) or point ${ENV_ROOT} to a "
                "jsonpog-integration checkout"
            )
        return path.resolve()

    def payload_named(self, name: str) -> Payload:
        """The payload ``name``, or the one payload of POG ``name``; else a clear error.

        Example:
            >>> load_manifest().era("2016postVFP_UL").payload_named("LUM").name
            'puWeights'
        """
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

    def status(self, root: str | os.PathLike) -> list[PayloadFile]:
        """Each payload as found under ``root``, or missing.

        Example:
            >>> {f.state for f in load_manifest().era("2016postVFP_UL").status(corrections_root)}
            {'verified'}
        """
        found = [(spec, spec.locate(root)) for spec in self.payloads.values()]
        return [PayloadFile(spec, path, sha256_of(path) if path else None) for spec, path in found]


class Manifest(Model):
    """The whole manifest: the sources of payloads and the eras.

    Example:
        >>> manifest = load_manifest()
        >>> sorted(manifest.eras)
        ['2016postVFP_UL', '2016preVFP_UL', 'Summer22']
        >>> manifest.sources.portal.record
        12508
    """

    schema_version: Literal[1] = Field(description="The version of this schema.")
    sources: Sources = Field(description="Where the payloads come from.")
    eras: dict[str, Era] = Field(description="The data-taking eras, by name.")

    @model_validator(mode="before")
    @classmethod
    def _name_eras(cls, data: Any) -> Any:
        return _named(data, "eras")

    def era(self, name: str) -> Era:
        """The era ``name``; an unknown one is an error that suggests the nearest.

        Example:
            >>> load_manifest().era("2016postVFP")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            opencoffea.errors.CorrectionError: no era '2016postVFP' in the payload manifest ...
        """
        if name in self.eras:
            return self.eras[name]
        raise CorrectionError(
            f"no era {name!r} in the payload manifest{did_you_mean(name, self.eras)}; "
            f"eras: {', '.join(self.eras)}"
        )


def _named(data: Any, part: str) -> Any:
    """Each entry of the mapping ``data[part]`` given its own key as ``name``."""
    if isinstance(data, dict) and isinstance(data.get(part), dict):
        named = {k: {**v, "name": k} if isinstance(v, dict) else v for k, v in data[part].items()}
        data = {**data, part: named}
    return data


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
    # the wheel places it in opencoffea/corrections/ (pyproject.toml, force-include)
    packaged = importlib.resources.files("opencoffea") / "corrections" / _MANIFEST
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
