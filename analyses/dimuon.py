"""The CMS open-data dimuon spectrum (as in the ROOT tutorial df102 and the CMS outreach plots).

Events with exactly two muons of opposite charge; the invariant mass of the pair, on log
axes from 0.25 to 300 GeV, shows the η, ρ/ω and φ mesons, the J/ψ and ψ′, the ϒ states
and the Z boson.
"""

import awkward as ak

from opencoffea import Processor, Recorder
from opencoffea.events import NanoEvents


class DimuonSpectrum(Processor):
    """Opposite-charge muon pairs and their invariant mass."""

    def analyze(self, events: NanoEvents, out: Recorder) -> None:
        out.cut("two muons", ak.num(events.Muon) == 2)
        muons = out.select(events.Muon)
        out.cut("opposite charge", muons.charge[:, 0] != muons.charge[:, 1])
        muons = out.select(muons)
        dimuon = muons[:, 0] + muons[:, 1]
        out.fill("mass", mass=dimuon.mass)
        out.fill("pt", pt=dimuon.pt)
