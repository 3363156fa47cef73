"""The corrections of a configuration, applied to one chunk: the processor's step 2.

:class:`Corrector` turns the YAML's ``corrections:`` and ``systematics:`` into what a chunk
needs: for each shape variation (nominal, JES sources, JER, unclustered energy, e/γ scale
and smearing) the events with their corrected collections, and the event weights (pileup)
with their variations. The processor then calls the user's method once per shape
variation, and fills the weight variations from the nominal pass. Object scale factors are
evaluated on the objects the user's method selected (:meth:`Corrector.scale_factor`, behind
``out.scale_factor``).

Every variation carries every correction: the JES-up events have the corrected electrons
too, and the electron-scale-up events the nominal jets and MET. The e/γ energy changes do
not enter the type-1 MET (NanoAOD's MET, like CMS's, propagates jets only).

Collections are corrected on the whole chunk, before any selection: the cross-references
into them (``Muon.matched_jet``, ``Photon.matched_electron``) are rebuilt on the chunk as
read (:func:`~opencoffea.corrections.objects.with_collection`).

Variation names: ``jes<Source>Up/Down``, ``jerUp/Down``, ``unclustEnUp/Down``,
``electronScaleUp/Down``, ``electronSmearUp/Down`` (``photon…`` likewise), and for weights
``pileupUp/Down`` and ``<scale factor>Up/Down``. A variation a file cannot give (a Run 2
NanoAOD without the stored ``dEscale*`` branches) equals the nominal there, and
:attr:`Applied.notes` says so; the run reports it as a warning.

Example:
    >>> from opencoffea.config import parse_config
    >>> config = parse_config(f'''
    ... name: demo
    ... processor: analyses/dimuon.py:DimuonSpectrum
    ... luminosity: 1000
    ... era: 2016postVFP_UL
    ... datasets: {{DY: {{files: [{nano_dy}], kind: mc, xsec: 6077.22}}}}
    ... corrections: {{payloads: {corrections_root}, jets: {{}}}}
    ... systematics: [jes, jer, unclustered]
    ... ''')
    >>> applied = Corrector(config).apply(events, is_data=False)
    >>> list(applied.events)
    ['nominal', 'jesTotalUp', 'jesTotalDown', 'jerUp', 'jerDown', 'unclustEnUp', 'unclustEnDown']
    >>> np.round(applied.events["jesTotalUp"].Jet.pt[0, :2], 2).tolist()  # the leading jets
    [80.59, 44.84]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak

from ..config import AnalysisConfig, EnergyConfig, ScaleFactorConfig
from ..eras import Era, load_manifest
from ..errors import CorrectionError
from ..events import NanoEvents
from ..jetkeys import JetKeys
from ..util import NOMINAL, choices, sha256_of
from .egamma import egamma_energy
from .egamma_objects import EnergyCorrection
from .egamma_sf import electron_weight, photon_weight
from .jets import JetCorrections, correct_jets, with_jets
from .location import payload_root
from .met import type1_met, with_met
from .objects import with_collection
from .pileup import pileup_weight
from .scalefactors import WeightVariation, muon_weight

__all__ = ["Applied", "Corrector", "jet_corrections"]


@dataclass
class Applied:
    """What the corrections give one chunk: events per shape variation (nominal first) and
    the event weights with their variations.

    A variation's events are made when they are asked for, and kept by nobody else: the
    processor lets each go when the user's method is done with it, so a chunk holds the
    corrected collections of the variation in use, not of all of them.

    Example:
        >>> from opencoffea.config import parse_config
        >>> config = parse_config(f'''
        ... name: demo
        ... processor: analyses/dimuon.py:DimuonSpectrum
        ... luminosity: 1000
        ... era: 2016postVFP_UL
        ... datasets: {{DY: {{files: [{nano_dy}], kind: mc, xsec: 6077.22}}}}
        ... corrections: {{payloads: {corrections_root}, pileup: {{}}}}
        ... systematics: [pileup]
        ... ''')
        >>> applied = Corrector(config).apply(events, is_data=False)
        >>> list(applied.events), [weight.name for weight in applied.weights], applied.notes
        (['nominal'], ['pileup'], set())
        >>> np.round(applied.weights[0].nominal[:3], 3).tolist()
        [0.953, 1.119, 1.182]
    """

    events: Mapping[str, NanoEvents]
    weights: list[WeightVariation] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)  # variations the file cannot give


# The e/γ collections a configuration may correct, by their key under corrections:
_ENERGY_PARTS = {"electrons": "Electron", "photons": "Photon"}
_ENERGY_SOURCES = ("scale", "smear")  # the shape variations of each, in this order


@dataclass(frozen=True)
class _EnergySpec:
    """One e/γ collection's corrections, resolved: payload path and keys, or none (Run 2)."""

    payload: str | None
    scale: str | None
    smear: str | None


@dataclass(frozen=True)
class _ScaleFactorSpec:
    """One scale factor of the configuration, resolved: payload path, key, working point."""

    object: str
    payload: str
    key: str
    working_point: str | None
    year: str | None


class Corrector:
    """The corrections of a configuration, with payload paths resolved where it was read.

    It holds paths and keys only; payloads are loaded in each worker process, once (see
    :func:`~opencoffea.corrections.payloads.load_payload`).

    Example:
        >>> from opencoffea.config import parse_config
        >>> config = parse_config(f'''
        ... name: demo
        ... processor: analyses/dimuon.py:DimuonSpectrum
        ... luminosity: 1000
        ... era: 2016postVFP_UL
        ... datasets: {{DY: {{files: [{nano_dy}], kind: mc, xsec: 6077.22}}}}
        ... corrections: {{payloads: {corrections_root}, jets: {{}}, pileup: {{}}}}
        ... systematics: [jes, pileup]
        ... ''')
        >>> corrector = Corrector(config)
        >>> corrector.shape_variations(is_data=False), corrector.shape_variations(is_data=True)
        (['nominal', 'jesTotalUp', 'jesTotalDown'], ['nominal'])
        >>> for used in corrector.provenance():  # what the manifest of a result records
        ...     print(Path(used["file"]).name, used["keys"][0], used["sha256"][:12])
        jet_jerc.json.gz Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs 082cfb0ccab5
        puWeights.json.gz Collisions16_UltraLegacy_goldenJSON e95e77a85509
    """

    def __init__(self, config: AnalysisConfig) -> None:
        spec = config.corrections
        if spec is None:
            raise CorrectionError("the configuration has no corrections")
        era = load_manifest().era(config.era) if config.era else None
        if spec.payloads:
            root = config.resolve(spec.payloads)
        else:
            root = payload_root() if era else config.base_dir()
        self.systematics = set(config.systematics)
        self.jets = jet_corrections(spec.jets, era, root) if spec.jets is not None else None
        # what the jet options ask for: the JES sources varied, and type-1 MET
        self.jes_sources = list(spec.jets.sources) if spec.jets is not None else []
        self.met = spec.jets is not None and spec.jets.met
        self.pileup: tuple[str, str] | None = None  # (payload, key)
        if spec.pileup is not None:
            if spec.pileup.payload is None:
                if era is None:  # what the configuration check rules out
                    raise CorrectionError("corrections.pileup: give its payload, or an era")
                use = era.uses["pileup"]
                self.pileup = (str(era.payload(use.payload, root)), spec.pileup.key or use.keys[0])
            elif spec.pileup.key is None:  # what the configuration check rules out
                raise CorrectionError("corrections.pileup: a payload given needs its key")
            else:
                self.pileup = (str(_resolve(root, spec.pileup.payload)), spec.pileup.key)
        self.energies = {
            collection: _energy_spec(given, root)
            for part, collection in _ENERGY_PARTS.items()
            if (given := getattr(spec, part)) is not None
        }
        self.scale_factors = {
            name: _scale_factor_spec(name, given, era, root)
            for name, given in spec.scale_factors.items()
        }

    def provenance(self) -> list[dict[str, Any]]:
        """The payload files and keys used, with their checksums (for the manifest)."""
        used: list[tuple[str, list[str]]] = []  # (file, keys)
        if self.jets is not None:
            used.append((self.jets.payload, self.jets.named_keys()))
        if self.pileup is not None:
            used.append((self.pileup[0], [self.pileup[1]]))
        for energy in self.energies.values():
            if energy.payload is not None:
                used.append((energy.payload, [k for k in (energy.scale, energy.smear) if k]))
        for factor in self.scale_factors.values():
            used.append((factor.payload, [factor.key]))
        merged: dict[str, list[str]] = {}  # one entry per file, its keys in order of use
        for file, keys in used:
            kept = merged.setdefault(file, [])
            kept += [k for k in keys if k not in kept]
        return [
            {"file": file, "keys": keys, "sha256": sha256_of(file)} for file, keys in merged.items()
        ]

    def shape_variations(self, *, is_data: bool) -> list[str]:
        """The names of the shape variations a chunk gets (nominal first)."""
        names = [NOMINAL]
        if is_data:
            return names
        if self.jets is not None:
            if "jes" in self.systematics:
                for source in self.jes_sources:
                    names += [f"jes{source}Up", f"jes{source}Down"]
            if "jer" in self.systematics:
                names += ["jerUp", "jerDown"]
            if "unclustered" in self.systematics and self.met:
                names += ["unclustEnUp", "unclustEnDown"]
        if "egamma" in self.systematics:
            for collection in self.energies:
                for source in _ENERGY_SOURCES:
                    names += [_energy_variation(collection, source, d) for d in ("Up", "Down")]
        return names

    def apply(self, events: NanoEvents, *, is_data: bool) -> Applied:
        """The corrected events of each shape variation, and the event weights."""
        wanted = self.shape_variations(is_data=is_data)
        notes: set[str] = set()
        energies = {
            collection: self._energy(events, collection, spec, notes, is_data)
            for collection, spec in self.energies.items()
        }
        jme, jets, mets = self.jets, None, None
        if jme is not None:
            jet_names = (NOMINAL, *(n for n in wanted if n.startswith(("jes", "jer"))))
            jets = correct_jets(events, jme, is_data=is_data, variations=jet_names)
            if self.met:
                unclustered = any(n.startswith("unclustEn") for n in wanted)
                mets = type1_met(events, jets, jme, is_data=is_data, unclustered=unclustered)

        def corrected(name: str) -> NanoEvents:
            out = events
            if jets is not None:
                by_pt, in_file_order = jets.variation(name if name in jets else NOMINAL)
                out = with_jets(out, by_pt, in_file_order=in_file_order)
            if mets is not None and jme is not None:  # (MET is corrected with the jets)
                out = with_met(out, mets.get(name, mets[NOMINAL]), jme)
            for collection, variants in energies.items():
                out = with_collection(out, collection, variants.get(name, variants[NOMINAL]))
            return out

        weights = []
        if self.pileup is not None and not is_data:
            weights.append(pileup_weight(events, *self.pileup))
        return Applied(_Variations(wanted, corrected), weights, notes)

    def scale_factor(self, name: str, objects: ak.Array) -> WeightVariation:
        """The event weight of scale factor ``name`` (from the YAML) for the given objects.

        The product over each event's objects, with up/down where the systematic is asked
        for. For simulation only: the processor never calls it for data.

        Example:
            >>> from opencoffea.config import parse_config
            >>> config = parse_config(f'''
            ... name: demo
            ... processor: analyses/dimuon.py:DimuonSpectrum
            ... luminosity: 1000
            ... era: 2016postVFP_UL
            ... datasets: {{DY: {{files: [{nano_dy}], kind: mc, xsec: 6077.22}}}}
            ... corrections:
            ...   payloads: {corrections_root}
            ...   scale_factors: {{muon_id: {{object: muon, key: NUM_TightID_DEN_TrackerMuons}}}}
            ... systematics: [muon_id]
            ... ''')
            >>> muons = events.Muon[events.Muon.tightId & (events.Muon.pt > 15)]
            >>> weight = Corrector(config).scale_factor("muon_id", muons)
            >>> int(ak.num(muons)[4]), weight.varied  # event 4: two tight muons
            (2, True)
            >>> [round(float(w[4]), 4) for w in (weight.nominal, weight.up, weight.down)]
            [0.9603, 0.9683, 0.9524]
        """
        spec = self.scale_factors.get(name)
        if spec is None:
            raise CorrectionError(
                f"no scale factor {name!r} in corrections.scale_factors"
                + choices(name, self.scale_factors, "declared")
            )
        if spec.object == "muon":
            weight = muon_weight(objects, spec.payload, spec.key, year=spec.year, name=name)
        elif spec.working_point is None:  # what the configuration check rules out
            raise CorrectionError(
                f"scale factor {name!r}: {spec.object} scale factors need a working_point"
            )
        else:
            function = electron_weight if spec.object == "electron" else photon_weight
            weight = function(
                objects, spec.payload, spec.working_point, key=spec.key, year=spec.year
            )
            weight = dataclasses.replace(weight, name=name)  # EGM names it by working point
        if name not in self.systematics:
            return WeightVariation(name, weight.nominal)
        if not weight.varied:
            raise CorrectionError(f"scale factor {name!r} has no variations: {weight.note}")
        return weight

    def _energy(
        self,
        events: NanoEvents,
        collection: str,
        spec: _EnergySpec,
        notes: set[str],
        is_data: bool,
    ) -> dict[str, ak.Array]:
        """One e/γ collection corrected: nominal, and its variations where asked for."""
        corrected: EnergyCorrection = egamma_energy(
            events,
            collection,
            payload=spec.payload,
            scale_key=spec.scale,
            smear_key=spec.smear,
            is_data=is_data,
        )
        out = {NOMINAL: corrected.nominal}
        if "egamma" not in self.systematics:
            return out
        for variation in corrected.variations:
            source = variation.name.removeprefix(f"{collection}_")
            if variation.up is None or variation.down is None:
                names = "/".join(_energy_variation(collection, source, d) for d in ("Up", "Down"))
                notes.add(f"{names} equal the nominal: {variation.note}")
                continue
            out[_energy_variation(collection, source, "Up")] = variation.up
            out[_energy_variation(collection, source, "Down")] = variation.down
        return out


class _Variations(Mapping[str, NanoEvents]):
    """Variation name → its events, made by ``make`` on each access and not kept."""

    def __init__(self, names: list[str], make: Callable[[str], NanoEvents]) -> None:
        self._names, self._make = names, make

    def __getitem__(self, name: str) -> NanoEvents:
        if name not in self._names:
            raise KeyError(name)
        return self._make(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def jet_corrections(given: JetKeys, era: Era | None, root: Path) -> JetCorrections:
    """The jet corrections of a run: the keys given, the rest the era's
    (:meth:`~opencoffea.jetkeys.JetKeys.over`), with the path of their payload under
    ``root``: the one given, else the era's.

    Example:
        >>> era = load_manifest().era("2016postVFP_UL")
        >>> jme = jet_corrections(JetKeys(), era, corrections_root)
        >>> jme.mc_jec == era.jets.mc_jec, jme.payload.endswith("2016postVFP_UL/jet_jerc.json.gz")
        (True, True)
    """
    keys = given.over(era.jets if era is not None else None)
    if given.payload is not None:
        path = _resolve(root, given.payload)
    elif era is not None and era.jets is not None:
        path = era.payload(era.jets.payload, root)
    else:  # what the configuration check reports, for a configuration made without it
        raise CorrectionError("corrections.jets: give its payload and keys, or an era for them")
    return JetCorrections(**{**keys.given(), "payload": str(path)})


def _energy_variation(collection: str, source: str, direction: str) -> str:
    """``electronScaleUp`` and the like: the name of an e/γ shape variation."""
    return f"{collection.lower()}{source.capitalize()}{direction}"


def _energy_spec(given: EnergyConfig, root: Path) -> _EnergySpec:
    payload = str(_resolve(root, given.payload)) if given.payload else None
    return _EnergySpec(payload, given.scale, given.smear)


def _scale_factor_spec(
    name: str, given: ScaleFactorConfig, era: Era | None, root: Path
) -> _ScaleFactorSpec:
    """The payload path, key and year of one scale factor: as given, else the era's."""
    if given.payload is not None:
        payload, year = str(_resolve(root, given.payload)), given.year
        key = given.key or {"electron": "UL-Electron-ID-SF", "photon": "UL-Photon-ID-SF"}.get(
            given.object, ""
        )
    else:
        if era is None:  # the configuration check rules this out
            raise CorrectionError(f"scale factor {name!r}: give its payload, or an era")
        use = era.uses[given.object]  # the manifest's muon, electron, photon
        payload, year = str(era.payload(use.payload, root)), given.year or use.year
        key = given.key or use.keys[0]
    return _ScaleFactorSpec(given.object, payload, key, given.working_point, year)


def _resolve(root: Path, path: str) -> Path:
    candidate = Path(path).expanduser()
    candidate = candidate if candidate.is_absolute() else root / candidate
    if not candidate.is_file():
        raise CorrectionError(
            f"no payload {candidate}: fetch it (opencoffea corrections fetch ERA) or correct "
            "corrections.payloads"
        )
    return candidate.resolve()
