"""``corrections:`` of the YAML file: what to correct, from which payloads and keys.

Where a file names an ``era:``, what it leaves out is the era's in the payload manifest
(:mod:`opencoffea.eras`): the jet keys through :meth:`~opencoffea.jetkeys.JetKeys.over`,
the pileup and scale-factor payloads by their use. Which combinations can work is checked
with the whole file (:mod:`opencoffea.config.checks`).

Example:
    >>> spec = Corrections.model_validate({"jets": {"sources": ["Total"]}, "pileup": {}})
    >>> spec.jets.met, spec.pileup.key is None
    (True, True)
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from ..jetkeys import JetKeys
from .base import IDENTIFIER, ConfigModel

__all__ = [
    "SYSTEMATICS",
    "Corrections",
    "EnergyConfig",
    "JetCorrectionsConfig",
    "PileupConfig",
    "ScaleFactorConfig",
]

SYSTEMATICS = ("jes", "jer", "unclustered", "pileup", "egamma")
"""The systematics a file may ask for, besides its scale factors (each by its name): jes
(every source of ``corrections.jets.sources``), jer, unclustered (MET), pileup and egamma
(the scale and smearing of ``corrections.electrons``/``photons``); nominal is always there."""


class JetCorrectionsConfig(JetKeys):
    """Jet energy corrections: the payload and keys (:class:`~opencoffea.jetkeys.JetKeys`),
    and what to do with them. With an ``era:`` and no ``payload``, the keys not given are
    the era's; the JES ``sources`` are those varied by the ``jes`` systematic.

    Example:
        >>> jets = JetCorrectionsConfig(sources=["Total", "Regrouped_BBEC1"])
        >>> jets.mc_jec is None, jets.met
        (True, True)
    """

    sources: list[str] = Field(
        default_factory=lambda: ["Total"],
        description="The JES sources varied by the ``jes`` systematic (``jes<Source>Up/Down``).",
    )
    met: bool = Field(default=True, description="Recompute type-1 MET from the corrected jets.")
    unclustered: bool = Field(
        default=True,
        description="Not read: the MET unclustered-energy variations come with "
        "``systematics: [unclustered]``.",
    )


class PileupConfig(ConfigModel):
    """Pileup weights of simulation: the LUM payload and key (the era's, if not given).

    Example:
        >>> PileupConfig().payload is None
        True
    """

    payload: str | None = Field(
        default=None, description="The LUM payload (a path, see ``corrections.payloads``)."
    )
    key: str | None = Field(
        default=None, description="Its key (``Collisions16_UltraLegacy_goldenJSON``)."
    )


class EnergyConfig(ConfigModel):
    """e/γ energy scale and smearing of one collection (``electrons:`` or ``photons:``).

    Run 2 NanoAOD has them applied already (``Electron_eCorr``): give ``{}`` and the
    variations stored in the file are used. Run 3 NanoAOD: the EGM payload, its ``scale``
    key (applied to data) and ``smear`` key (applied to simulation, with the scale
    uncertainty where that payload keeps it).

    Example:
        >>> EnergyConfig().payload is None  # Run 2: applied in the file
        True
    """

    payload: str | None = Field(
        default=None,
        description="The EGM scale-and-smearing payload (Run 3); none for Run 2 NanoAOD.",
    )
    scale: str | None = Field(default=None, description="The key of the data energy scale.")
    smear: str | None = Field(default=None, description="The key of the smearing of simulation.")


class ScaleFactorConfig(ConfigModel):
    """An object scale factor the processor applies with ``out.scale_factor(name, objects)``.

    ``muon``: a ``key`` of MUO's muon_Z payload; ``electron``/``photon``: a
    ``working_point`` of EGM's ID payload (``key`` defaults to the era's). ``payload`` and
    ``year`` default to the era's.

    Example:
        >>> ScaleFactorConfig(object="electron", working_point="Tight").key is None
        True
    """

    object: Literal["muon", "electron", "photon"] = Field(description="The objects it is for.")
    key: str | None = Field(
        default=None,
        description="The payload's key: for muons required (``NUM_TightID_DEN_TrackerMuons``), "
        "for electrons and photons the era's ID key by default.",
    )
    working_point: str | None = Field(
        default=None, description="The working point of electrons and photons (``Tight``)."
    )
    payload: str | None = Field(
        default=None, description="The payload (a path, see ``corrections.payloads``); the era's."
    )
    year: str | None = Field(
        default=None, description="The value of the payload's ``year`` input; the era's."
    )


class Corrections(ConfigModel):
    """What to correct, from which payloads; ``payloads`` is the root relative paths use.

    Example:
        >>> Corrections().scale_factors
        {}
    """

    payloads: str | None = Field(
        default=None,
        description="The directory relative payload paths are read from (relative to this "
        "file). Default: with an ``era:``, the payload root ($OPENCOFFEA_CORRECTIONS, else "
        "the cache that ``opencoffea corrections fetch`` fills); without, this file's directory.",
    )
    jets: JetCorrectionsConfig | None = Field(
        default=None, description="Jet energy corrections, JES and JER, type-1 MET."
    )
    pileup: PileupConfig | None = Field(default=None, description="Pileup weights of simulation.")
    electrons: EnergyConfig | None = Field(
        default=None, description="The energy scale and smearing of electrons."
    )
    photons: EnergyConfig | None = Field(
        default=None, description="The energy scale and smearing of photons."
    )
    scale_factors: dict[str, ScaleFactorConfig] = Field(
        default_factory=dict,
        description="Object scale factors by name; the name is also that of its systematic.",
    )

    @field_validator("scale_factors")
    @classmethod
    def _named_like_systematics(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not re.match(IDENTIFIER, name) or name in SYSTEMATICS:
                raise ValueError(
                    f"{name!r}: a scale factor's name is its systematic's; use letters, digits "
                    f"and '_', and none of {', '.join(SYSTEMATICS)}"
                )
        return value
