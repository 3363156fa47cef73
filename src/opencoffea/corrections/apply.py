"""The corrections of a configuration, applied to one chunk: the processor's step 2.

:class:`Corrector` turns the YAML's ``corrections:`` and ``systematics:`` into what a chunk
needs: for each shape variation (nominal, JES sources, JER, unclustered energy) the events
with their corrected collections, and the event weights (pileup) with their variations.
The processor then calls the user's method once per shape variation, and fills the weight
variations from the nominal pass.

Jets are corrected on the whole chunk, before any selection: the cross-references of the
corrected jets (``Muon.matched_jet``) are rebuilt on the chunk as read.

Example:
    >>> corrector = Corrector(config)  # doctest: +SKIP
    >>> applied = corrector.apply(events, is_data=False)  # doctest: +SKIP
    >>> list(applied.events)
    ['nominal', 'jesTotalUp', 'jesTotalDown', 'jerUp', 'jerDown', 'unclustEnUp', 'unclustEnDown']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak

from ..config import AnalysisConfig
from .jets import JetCorrections, correct_jets, with_jets
from .manifest import load_manifest, payload_root, sha256_of
from .met import type1_met, with_met
from .payloads import CorrectionError
from .pileup import pileup_weight
from .scalefactors import WeightVariation

__all__ = ["Applied", "Corrector"]

NOMINAL = "nominal"


@dataclass
class Applied:
    """What the corrections give one chunk: events per shape variation (nominal first) and
    the event weights with their variations."""

    events: dict[str, ak.Array]
    weights: list[WeightVariation] = field(default_factory=list)


class Corrector:
    """The corrections of a configuration, with payload paths resolved where it was read.

    It holds paths and keys only; payloads are loaded in each worker process, once (see
    :func:`~opencoffea.corrections.payloads.load_payload`).
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
        self.jets: JetCorrections | None = None
        self.jet_options = spec.jets
        if spec.jets is not None:
            given = spec.jets
            base = era.jet_corrections(root) if era and given.payload is None else None
            self.jets = JetCorrections(
                payload=str(_resolve(root, given.payload)) if given.payload else base.payload,
                mc_jec=given.mc_jec or base.mc_jec,
                data_jec=[tuple(p) for p in given.data_jec] or (base.data_jec if base else ()),
                uncertainty=given.uncertainty or (base and base.uncertainty),
                jer_resolution=given.jer_resolution or (base and base.jer_resolution),
                jer_scale_factor=given.jer_scale_factor or (base and base.jer_scale_factor),
            )
        self.pileup = None
        if spec.pileup is not None:
            if spec.pileup.payload is None:
                use = era.uses["pileup"]
                self.pileup = (str(era.payload(use.payload, root)), spec.pileup.key or use.keys[0])
            else:
                self.pileup = (str(_resolve(root, spec.pileup.payload)), spec.pileup.key)

    def provenance(self) -> list[dict[str, Any]]:
        """The payload files and keys used, with their checksums (for the manifest)."""
        used = []
        if self.jets is not None:
            keys = [self.jets.mc_jec, *(k for _, _, k in self.jets.data_jec)]
            keys += [
                k
                for k in (
                    self.jets.uncertainty,
                    self.jets.jer_resolution,
                    self.jets.jer_scale_factor,
                )
                if k
            ]
            used.append({"file": self.jets.payload, "keys": keys})
        if self.pileup is not None:
            used.append({"file": self.pileup[0], "keys": [self.pileup[1]]})
        for entry in used:
            entry["sha256"] = sha256_of(entry["file"])
        return used

    def shape_variations(self, *, is_data: bool) -> list[str]:
        """The names of the shape variations a chunk gets (nominal first)."""
        names = [NOMINAL]
        if is_data or self.jets is None:
            return names
        if "jes" in self.systematics:
            for source in self.jet_options.sources:
                names += [f"jes{source}Up", f"jes{source}Down"]
        if "jer" in self.systematics:
            names += ["jerUp", "jerDown"]
        if "unclustered" in self.systematics and self.jet_options.met:
            names += ["unclustEnUp", "unclustEnDown"]
        return names

    def apply(self, events: ak.Array, *, is_data: bool) -> Applied:
        """The corrected events of each shape variation, and the event weights."""
        applied = Applied({NOMINAL: events})
        if self.jets is not None:
            wanted = self.shape_variations(is_data=is_data)
            jet_names = tuple(n for n in wanted if not n.startswith("unclustEn"))
            jets = correct_jets(events, self.jets, is_data=is_data, variations=jet_names)
            mets = None
            if self.jet_options.met:
                unclustered = any(n.startswith("unclustEn") for n in wanted)
                mets = type1_met(events, jets, self.jets, is_data=is_data, unclustered=unclustered)
            for name in wanted:
                corrected = with_jets(events, jets.get(name, jets[NOMINAL]))
                if mets is not None:
                    corrected = with_met(corrected, mets[name], self.jets)
                applied.events[name] = corrected
        if self.pileup is not None and not is_data:
            applied.weights.append(pileup_weight(events, *self.pileup))
        return applied


def _resolve(root: Path, path: str) -> Path:
    candidate = Path(path).expanduser()
    candidate = candidate if candidate.is_absolute() else root / candidate
    if not candidate.is_file():
        raise CorrectionError(
            f"no payload {candidate}: fetch it (opencoffea corrections fetch ERA) or correct "
            "corrections.payloads"
        )
    return candidate.resolve()
