"""H → ZZ → 4ℓ in the CMS 2012 open data: the event selection of the ROOT tutorial df103.

The selection is the one of ``tutorials/dataframe/df103_NanoAODHiggsAnalysis.C`` (ROOT, S. Wunsch
2018; CERN Open Data portal record 12360), itself a simplified form of the CMS open-data
"HiggsExample20112012" (record 5500), run on the reduced 2012 NanoAOD of records 12361–12368.
Every cut is on *all* the leptons of a flavour, not on the best ones, exactly as there:

4μ
    nMuon ≥ 4; every muon |pfRelIso04_all| < 0.40, pt > 5, |η| < 2.4, sip3d < 4, |dxy| < 0.5,
    |dz| < 1.0; then exactly 4 muons, two of each charge.
4e
    the same with electrons: |pfRelIso03_all| < 0.40, pt > 7, |η| < 2.5; exactly 4, 2 + 2.
2e2μ
    nElectron ≥ 2 and nMuon ≥ 2; every electron |η| < 2.5 and every muon |η| < 2.4; the two
    leading muons have pt > 20 and > 10, or the two leading electrons do; ΔR ≥ 0.02 between
    the first two muons and between the first two electrons; the isolation, sip3d, dxy and dz
    cuts on every lepton; Σ charge = 0 for each flavour. The Z candidates are μ0 + μ1 and
    e0 + e1 (the first two of each, whatever else the event holds).
Z candidates (4μ, 4e)
    among the opposite-charge pairs, in ROOT's ``Combinations`` order (01, 02, 03, 12, 13, 23),
    the first with mass closest to 91.2 GeV makes one Z, the other two leptons the other; both
    pairs ΔR ≥ 0.02. Z1 is the one of the two closer to 91.2 GeV (for 2e2μ, of μ0μ1 and e0e1).
    40 < m(Z1) < 120 and 12 < m(Z2) < 120. m4ℓ is the mass of the sum of the four leptons.

Here ip3d = √(dxy² + dz²) and sip3d = ip3d / √(dxyErr² + dzErr²), computed in single precision
as df103 does; four-momenta are summed in double precision (df103's ``PtEtaPhiMVector``;
coffea's own sums of the files' float32 values would be single precision).

As in df103 the channels may overlap (four good muons and two good electrons can pass 4μ and
2e2μ). The combined spectrum is the sum over the ``channel`` axis.

df103's integer "best mass"
    ``reco_zz_to_4l`` keeps its running best pair mass in ``auto best_mass = -1;``, an ``int``,
    so ``best_mass = this_mass`` truncates it: the next opposite-charge pair replaces the best
    whenever |91.2 − m| < |91.2 − ⌊m_best⌋|. A best pair at 90.9 GeV is remembered as
    90 and loses to a later pair at 91.9 GeV; a best pair at 91.9 (remembered as 91) is not
    displaced by a later 91.5. Which pairing wins then depends on the order of the leptons, and
    the other pairing is sometimes taken (``compute_z_masses_4l`` re-sorts the two masses, so Z1
    is still the closer *of the pairing taken*). In an event whose opposite-charge pairs are all
    above 183.4 GeV nothing replaces −1, the "pair" is lepton 0 with itself, and its ΔR of 0
    rejects the event. The C++ and the Python (``df103_NanoAODHiggsAnalysis_python.h``)
    versions both have it. m4ℓ does not depend on the pairing, so only events whose Z-mass cuts
    it turns show in m4ℓ: on synthetic ZZ → 4ℓ about 1 % of the selected 4μ and 4e events get
    another pairing and 0.4 % pass or fail differently; H → ZZ* (one Z far off shell), none.

    It is a bug, not physics: :class:`HiggsToFourLeptons` takes the pair truly closest to
    91.2 GeV. For comparing with the tutorial's numbers bit for bit,
    :class:`HiggsToFourLeptonsDF103` reproduces it (``processor: ...:HiggsToFourLeptonsDF103``
    in the YAML file): the truncated running best, the re-sorting of the pairing taken, and
    the Z and H masses rounded to float as df103 stores them (``RVec<float>``, ``float``).
    Not reproduced: df103 evaluates ΔR in single precision (older versions without wrapping Δφ
    at ±π); here it is double, which differs only for a pair within ~10⁻⁸ of ΔR = 0.02.

Datasets and channels
    A dataset feeds every channel unless its YAML ``metadata: {channels: [4mu, 2e2mu]}`` says
    otherwise: DoubleMuParked feeds 4μ and 2e2μ, DoubleElectron 4e (as in df103), simulation all.

Histograms (booked in the YAML file, each with a category axis ``channel``: 4mu, 4e, 2e2mu)
    ``m4l`` (axis ``m4l``), ``mZ1`` (axis ``mZ1``), ``mZ2`` (axis ``mZ2``); and, when booked,
    ``cutflow`` with an integer axis ``step`` from 0 to ``len(STEPS)``: the events (weighted)
    passing each step of :data:`STEPS`, per channel, cut after cut.

Cutflow
    The three channels are selected from the same events, so the framework's cutflow (each cut
    narrows the events for all that follows) holds what they share: "lepton multiplicity" (the
    events with enough leptons for some channel the dataset feeds, which is all the rest of the
    code looks at) and "in a channel" (selected by at least one). Each channel's own cutflow,
    step by step, goes to the ``cutflow`` histogram.

Example:
    >>> selections = select(events, ("4mu",))  # doctest: +SKIP
    >>> selections["4mu"].m4l[selections["4mu"].selected]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import awkward as ak
import numpy as np
import vector

from opencoffea import AnalysisError, Processor

Z_MASS = 91.2
CHANNELS = ("4mu", "4e", "2e2mu")
STEPS = (
    "all events",
    "leptons",  # nMuon ≥ 4 / nElectron ≥ 4 / both ≥ 2
    "isolation",
    "kinematics",  # pt and |η| of every lepton; 2e2μ: |η| of every lepton, leading pair pt
    "impact parameter",  # sip3d, dxy, dz of every lepton
    "charges",  # exactly 4 with two of each charge; 2e2μ: Σ charge = 0 for each flavour
    "separation",  # ΔR ≥ 0.02 within each Z candidate
    "Z1 mass",
    "Z2 mass",
)
"""The steps of a channel's cutflow, in order: bin *i* of the ``cutflow`` histogram's ``step``."""

# The pairs of four leptons in the order of ROOT's Combinations(v, 2); pair k and 5 - k share
# no lepton, so 5 - k is the pair left over when k is taken.
PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


@dataclass(frozen=True)
class ChannelSelection:
    """What one channel makes of a set of events: numpy arrays, one entry per event.

    ``cuts`` maps each step of :data:`STEPS` after "all events" to whether the event passes it
    and every step before it. The masses are NaN where the event is not selected.
    """

    cuts: dict[str, np.ndarray]
    z1_mass: np.ndarray
    z2_mass: np.ndarray
    m4l: np.ndarray

    @property
    def selected(self) -> np.ndarray:
        """Whether each event is selected in this channel (passes every step)."""
        return self.cuts[STEPS[-1]]


# ---------------------------------------------------------------------------- the selection


def sip3d(leptons: ak.Array) -> ak.Array:
    """3D impact-parameter significance, √(dxy² + dz²) / √(dxyErr² + dzErr²), as df103 has it.

    The reduced 2012 NanoAOD has no ``sip3d`` branch. Computed in the files' single precision,
    like df103's ``Define`` on ``RVec<float>``.

    Example:
        >>> track = {"dxy": 0.375, "dz": -0.5, "dxyErr": 0.09375, "dzErr": 0.125}
        >>> sip3d(ak.Array([[track], []])).tolist()
        [[4.0], []]
    """
    ip3d = np.sqrt(leptons.dxy * leptons.dxy + leptons.dz * leptons.dz)
    return ip3d / np.sqrt(leptons.dxyErr * leptons.dxyErr + leptons.dzErr * leptons.dzErr)


def near_vertex(leptons: ak.Array) -> ak.Array:
    """Per lepton: a track close to the primary vertex (sip3d < 4, |dxy| < 0.5, |dz| < 1).

    Example:
        >>> track = {"dxy": 0.01, "dz": -0.02, "dxyErr": 0.01, "dzErr": 0.01}
        >>> near_vertex(ak.Array([[track, {**track, "dz": -1.5}]])).tolist()
        [[True, False]]
    """
    return (sip3d(leptons) < 4) & (abs(leptons.dxy) < 0.5) & (abs(leptons.dz) < 1.0)


def best_pair(masses: np.ndarray, opposite: np.ndarray, *, truncate: bool = False) -> np.ndarray:
    """Per event, the index of the opposite-charge pair closest to the Z mass (-1 if none).

    ``masses`` and ``opposite`` are (events, pairs). Ties go to the first pair. With
    ``truncate`` the running best is kept as an integer, as df103 does (see the module's
    docstring): a pair replaces the best when |91.2 − m| < |91.2 − ⌊m_best⌋|, starting
    from a best of −1. The loop runs over the pairs, each step over all events at once.

    Example:
        >>> best_pair(np.array([[90.9, 91.9]]), np.array([[True, True]]))
        array([0])
        >>> best_pair(np.array([[90.9, 91.9]]), np.array([[True, True]]), truncate=True)
        array([1])
    """
    n = len(masses)
    best_mass = np.full(n, -1.0 if truncate else np.inf)
    best = np.full(n, -1)
    for k in range(masses.shape[1]):
        mass = masses[:, k]
        better = opposite[:, k] & (np.abs(Z_MASS - mass) < np.abs(Z_MASS - best_mass))
        best_mass = np.where(better, np.trunc(mass) if truncate else mass, best_mass)
        best = np.where(better, k, best)
    return best


def select_four_leptons(
    leptons: ak.Array,
    isolation: ak.Array,
    *,
    pt_min: float,
    eta_max: float,
    df103_exact: bool = False,
) -> ChannelSelection:
    """The 4μ or 4e selection of every event (see the module's docstring for the cuts).

    Example:
        >>> four_mu = select_four_leptons(  # doctest: +SKIP
        ...     events.Muon, events.Muon.pfRelIso04_all, pt_min=5, eta_max=2.4
        ... )
    """
    count = ak.num(leptons)
    charge = leptons.charge
    steps = {
        "leptons": count >= 4,
        "isolation": ak.all(abs(isolation) < 0.40, axis=1),
        "kinematics": ak.all((leptons.pt > pt_min) & (abs(leptons.eta) < eta_max), axis=1),
        "impact parameter": ak.all(near_vertex(leptons), axis=1),
        "charges": (count == 4)
        & (ak.sum(charge == 1, axis=1) == 2)
        & (ak.sum(charge == -1, axis=1) == 2),
    }
    # Pairings of the first four leptons of every event (an event with fewer fails "leptons")
    p = _momenta(leptons, 4)
    q = _padded(charge, 4)
    masses = np.stack([(p[:, i] + p[:, j]).mass for i, j in PAIRS], axis=1)
    separations = np.stack([p[:, i].deltaR(p[:, j]) for i, j in PAIRS], axis=1)
    opposite = np.stack([q[:, i] != q[:, j] for i, j in PAIRS], axis=1)
    taken = best_pair(masses, opposite, truncate=df103_exact)
    found = taken >= 0  # df103 pairs lepton 0 with itself otherwise, and its ΔR = 0 fails
    pairs = np.stack([np.where(found, taken, 0), np.where(found, 5 - taken, 5)], axis=1)
    steps["separation"] = found & np.all(
        np.take_along_axis(separations, pairs, axis=1) >= 0.02, axis=1
    )
    z_a, z_b = _stored(np.take_along_axis(masses, pairs, axis=1).T, df103_exact)
    m4l = _stored((p[:, 0] + p[:, 1] + p[:, 2] + p[:, 3]).mass, df103_exact)
    return _finish(steps, z_a, z_b, m4l)


def select_two_pairs(
    electrons: ak.Array, muons: ak.Array, *, df103_exact: bool = False
) -> ChannelSelection:
    """The 2e2μ selection of every event (see the module's docstring for the cuts).

    Example:
        >>> two_pairs = select_two_pairs(events.Electron, events.Muon)  # doctest: +SKIP
        >>> two_pairs.z1_mass[two_pairs.selected]  # doctest: +SKIP
    """
    steps = {
        "leptons": (ak.num(electrons) >= 2) & (ak.num(muons) >= 2),
        "isolation": ak.all(abs(electrons.pfRelIso03_all) < 0.40, axis=1)
        & ak.all(abs(muons.pfRelIso04_all) < 0.40, axis=1),
        "kinematics": ak.all(abs(electrons.eta) < 2.5, axis=1)
        & ak.all(abs(muons.eta) < 2.4, axis=1)
        & (_leading_pair_pt(muons) | _leading_pair_pt(electrons)),
        "impact parameter": ak.all(near_vertex(electrons), axis=1)
        & ak.all(near_vertex(muons), axis=1),
        "charges": (ak.sum(electrons.charge, axis=1) == 0) & (ak.sum(muons.charge, axis=1) == 0),
    }
    mu, el = _momenta(muons, 2), _momenta(electrons, 2)
    steps["separation"] = (mu[:, 0].deltaR(mu[:, 1]) >= 0.02) & (el[:, 0].deltaR(el[:, 1]) >= 0.02)
    z_mu, z_el = (mu[:, 0] + mu[:, 1]).mass, (el[:, 0] + el[:, 1]).mass
    m4l = (mu[:, 0] + mu[:, 1] + el[:, 0] + el[:, 1]).mass
    # df103 orders the two in double precision, then stores them as float
    muons_first = np.abs(z_mu - Z_MASS) < np.abs(z_el - Z_MASS)
    z1, z2 = np.where(muons_first, z_mu, z_el), np.where(muons_first, z_el, z_mu)
    return _finish(
        steps,
        _stored(z1, df103_exact),
        _stored(z2, df103_exact),
        _stored(m4l, df103_exact),
        ordered=True,
    )


def select(
    events: ak.Array, channels: Sequence[str] = CHANNELS, *, df103_exact: bool = False
) -> dict[str, ChannelSelection]:
    """Each channel's selection of every event (NanoEvents of the reduced 2012 NanoAOD).

    Example:
        >>> selections = select(events, df103_exact=True)  # doctest: +SKIP
        >>> {c: int(s.selected.sum()) for c, s in selections.items()}  # doctest: +SKIP
    """
    muons, electrons = events.Muon, events.Electron
    selectors = {
        "4mu": lambda: select_four_leptons(
            muons, muons.pfRelIso04_all, pt_min=5, eta_max=2.4, df103_exact=df103_exact
        ),
        "4e": lambda: select_four_leptons(
            electrons, electrons.pfRelIso03_all, pt_min=7, eta_max=2.5, df103_exact=df103_exact
        ),
        "2e2mu": lambda: select_two_pairs(electrons, muons, df103_exact=df103_exact),
    }
    # 0/0 in sip3d (no track errors) is NaN and fails "sip3d < 4", as in C++: no warning needed
    with np.errstate(divide="ignore", invalid="ignore"):
        return {channel: selectors[channel]() for channel in channels}


def enough_leptons(events: ak.Array, channels: Sequence[str] = CHANNELS) -> np.ndarray:
    """Events with the lepton multiplicity of at least one of ``channels`` (the first step).

    Example:
        >>> enough_leptons(events, ("4mu", "2e2mu"))  # doctest: +SKIP
        array([False,  True, False, ...])
    """
    n_mu, n_el = _numpy(ak.num(events.Muon)), _numpy(ak.num(events.Electron))
    need = {"4mu": n_mu >= 4, "4e": n_el >= 4, "2e2mu": (n_mu >= 2) & (n_el >= 2)}
    return np.logical_or.reduce([need[c] for c in channels] or [np.zeros(len(n_mu), bool)])


def fed_channels(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """The channels a dataset feeds: its ``metadata: {channels: [...]}``, or all of them.

    Example:
        >>> fed_channels({"channels": ["2e2mu", "4mu"]})
        ('4mu', '2e2mu')
    """
    wanted = metadata.get("channels", CHANNELS)
    wanted = [wanted] if isinstance(wanted, str) else [str(c) for c in wanted]
    unknown = [c for c in wanted if c not in CHANNELS]
    if unknown:
        raise AnalysisError(
            f"dataset metadata 'channels': unknown channel(s) {', '.join(unknown)}; "
            f"the channels are {', '.join(CHANNELS)}"
        )
    return tuple(c for c in CHANNELS if c in wanted)


# ---------------------------------------------------------------------------- the processor


class HiggsToFourLeptons(Processor):
    """H → ZZ → 4ℓ in the 4μ, 4e and 2e2μ channels: m4ℓ, m(Z1), m(Z2) per channel."""

    df103_exact: ClassVar[bool] = False

    def analyze(self, events, out):
        channels = fed_channels(out.metadata)
        cutflow = "cutflow" in self.config.histograms
        if cutflow:
            for channel in channels:
                out.fill("cutflow", channel=channel, step=np.zeros(out.selected, int))
        out.cut("lepton multiplicity", enough_leptons(events, channels))
        events = out.select(events)
        selections = select(events, channels, df103_exact=self.df103_exact)
        for channel, selection in selections.items():
            out.fill("m4l", channel=channel, m4l=selection.m4l)
            out.fill("mZ1", channel=channel, mZ1=selection.z1_mass)
            out.fill("mZ2", channel=channel, mZ2=selection.z2_mass)
            if cutflow:
                for step, passed in enumerate(selection.cuts.values(), start=1):
                    step_number = np.full(len(passed), step)
                    out.fill("cutflow", channel=channel, step=step_number, weight=passed)
        selected = [s.selected for s in selections.values()]
        out.cut("in a channel", np.logical_or.reduce(selected or [np.zeros(out.selected, bool)]))


class HiggsToFourLeptonsDF103(HiggsToFourLeptons):
    """The same as the ROOT tutorial df103 to the bit, its integer "best mass" included.

    What "to the bit" covers, and the one thing it does not (ΔR in single precision), is in
    the module's docstring.
    """

    df103_exact: ClassVar[bool] = True


# ---------------------------------------------------------------------------- helpers


def _numpy(array: Any) -> np.ndarray:
    return ak.to_numpy(array) if isinstance(array, ak.Array) else np.asarray(array)


def _padded(values: ak.Array, n: int) -> np.ndarray:
    """The first ``n`` values of every event as a regular (events, n) array, zero padded."""
    return ak.to_numpy(ak.fill_none(ak.pad_none(values, n, axis=1, clip=True), 0))


def _momenta(leptons: ak.Array, n: int) -> vector.MomentumNumpy4D:
    """The first ``n`` leptons of every event as double-precision four-vectors, (events, n).

    Regular numpy from here on: the few pairs of a handful of leptons cost little, and numpy
    has none of the per-operation overhead of jagged arrays.
    """
    return vector.array(
        {f: _padded(leptons[f], n).astype(np.float64) for f in ("pt", "eta", "phi", "mass")}
    )


def _leading_pair_pt(leptons: ak.Array) -> ak.Array:
    """The two highest pt above 20 and 10 GeV (df103's ``Reverse(Sort(pt))``)."""
    pt = ak.pad_none(ak.sort(leptons.pt, axis=1, ascending=False), 2, axis=1)
    return ak.fill_none((pt[:, 0] > 20) & (pt[:, 1] > 10), False)


def _stored(values: Any, df103_exact: bool) -> np.ndarray:
    """Masses as kept: double, or rounded to float where df103 stores them so."""
    values = _numpy(values).astype(np.float64)
    return values.astype(np.float32).astype(np.float64) if df103_exact else values


def _finish(
    steps: dict[str, Any],
    z_a: np.ndarray,
    z_b: np.ndarray,
    m4l: np.ndarray,
    *,
    ordered: bool = False,
) -> ChannelSelection:
    """Z1/Z2 (unless ``ordered``: the closer to the Z mass first), mass cuts, cumulative cuts."""
    if not ordered:  # df103's compute_z_masses_4l: the first unless strictly farther
        first = np.abs(z_a - Z_MASS) < np.abs(z_b - Z_MASS)
        z_a, z_b = np.where(first, z_a, z_b), np.where(first, z_b, z_a)
    steps["Z1 mass"] = (z_a > 40) & (z_a < 120)
    steps["Z2 mass"] = (z_b > 12) & (z_b < 120)
    cuts, passed = {}, None
    for name in STEPS[1:]:
        mask = _numpy(steps[name]).astype(bool)
        passed = mask if passed is None else passed & mask
        cuts[name] = passed
    return ChannelSelection(
        cuts=cuts,
        z1_mass=np.where(passed, z_a, np.nan),
        z2_mass=np.where(passed, z_b, np.nan),
        m4l=np.where(passed, m4l, np.nan),
    )
