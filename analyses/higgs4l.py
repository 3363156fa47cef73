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
coffea's own sums of the files' float32 values would be single precision), as Cartesian
components, the way ROOT's ``LorentzVector`` adds. df103 itself keeps its best Z mass in an
``int``, which sometimes takes another pairing: ``higgs4l_df103.py`` reproduces that, and the
tutorial's numbers bit for bit, with other :class:`Conventions`.

The cheap cuts come first: those on every lepton, on the flat arrays of a whole chunk
(:class:`Leptons`). Pair kinematics only for the events that pass them, on regular arrays of
their leptons, each lepton's components worked out once (:func:`select_four_leptons`).

As in df103 the channels may overlap (four good muons and two good electrons can pass 4μ and
2e2μ). The combined spectrum is the sum over the ``channel`` axis.

Datasets and channels
    A dataset feeds every channel unless its YAML ``metadata: {channels: [4mu, 2e2mu]}`` says
    otherwise: DoubleMuParked feeds 4μ and 2e2μ, DoubleElectron 4e (as in df103), simulation all.
Histograms (booked in the YAML file, each with a category axis ``channel``: 4mu, 4e, 2e2mu)
    ``m4l`` (axis ``m4l``), ``mZ1`` (axis ``mZ1``), ``mZ2`` (axis ``mZ2``).
Marked events (``opencoffea display --from-result``)
    Each selected candidate, as selection "4l": its Z1 and Z2 leptons (Z1's first in 4μ and
    4e), m4ℓ, m(Z1), m(Z2) and the channel.
Cutflows
    Each channel is a category of ``out``, with its own cutflow (``cutflows["ZZ/4mu"]``):
    "all events", "lepton multiplicity", then the :data:`STEPS` of the channel. The dataset's
    cutflow holds what the channels share: "lepton multiplicity" (enough leptons for some
    channel the dataset feeds: all that the rest of the code looks at) and "in a channel"
    (selected by at least one).

Example:
    >>> import tempfile
    >>> from opencoffea import generate
    >>> from opencoffea.events import describe, events_from, open_file
    >>> path = f"{tempfile.mkdtemp()}/h.root"
    >>> path = str(generate("hzz4l", path, 400, seed=1, format="outreach"))
    >>> file = open_file(path)
    >>> selections = select_channels(events_from(file, describe(file, path)))
    >>> {channel: int(s.selected.sum()) for channel, s in selections.items()}
    {'4mu': 34, '4e': 14, '2e2mu': 46}
    >>> selections["4mu"].m4l[:3].round(1)  # the four-lepton mass of each selected event
    array([125.8, 122.9, 127. ])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import awkward as ak
import numpy as np
import vector

from opencoffea import AnalysisError, Processor, Recorder
from opencoffea.events import NanoEvents

Z_MASS = 91.2
CHANNELS = ("4mu", "4e", "2e2mu")
STEPS = (
    "leptons",  # nMuon ≥ 4 / nElectron ≥ 4 / both ≥ 2
    "isolation",
    "kinematics",  # pt and |η| of every lepton; 2e2μ: |η| of every lepton, leading pair pt
    "impact parameter",  # sip3d, dxy, dz of every lepton
    "charges",  # exactly 4 with two of each charge; 2e2μ: Σ charge = 0 for each flavour
    "separation",  # ΔR ≥ 0.02 within each Z candidate
    "Z1 mass",
    "Z2 mass",
)
"""The cuts of each channel, in order."""

# The pairs of four leptons in the order of ROOT's Combinations(v, 2); pair k and 5 - k share
# no lepton, so 5 - k is the pair left over when k is taken.
PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


# ---------------------------------------------------------------------------- conventions


def best_pair(
    masses: np.ndarray,
    opposite: np.ndarray,
    *,
    start: float = np.inf,
    remember: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Per event, the index of the opposite-charge pair closest to the Z mass (-1 if none).

    ``masses`` and ``opposite`` are (events, pairs); ties go to the first pair. The loop runs
    over the pairs, each step over all events at once, with a running best mass that begins
    at ``start``; ``remember`` is what is kept of a new best (all of it by default): the
    knobs of df103's integer best mass (``higgs4l_df103.py``).

    Example:
        >>> masses, opposite = np.array([[90.9, 91.9, 91.2]]), np.array([[True, True, False]])
        >>> best_pair(masses, opposite)
        array([0])
    """
    best_mass = np.full(len(masses), float(start))
    best = np.full(len(masses), -1)
    for k in range(masses.shape[1]):
        mass = masses[:, k]
        better = opposite[:, k] & (np.abs(Z_MASS - mass) < np.abs(Z_MASS - best_mass))
        best_mass = np.where(better, mass if remember is None else remember(mass), best_mass)
        best = np.where(better, k, best)
    return best


@dataclass(frozen=True)
class Conventions:
    """How the Z pair is chosen and the masses kept, where the physics leaves a choice.

    ``best_pair(masses, opposite)`` picks the first Z of a 4μ or 4e event (see
    :func:`best_pair`); masses are rounded to ``precision`` before they are cut on and filled.

    Example:
        >>> Conventions(precision=np.float32).stored(np.array([91.1876])).tolist()
        [91.1875991821289]
    """

    best_pair: Callable[[np.ndarray, np.ndarray], np.ndarray] = best_pair
    precision: type[np.floating] = np.float64

    def stored(self, masses: Any) -> np.ndarray:
        """``masses`` as kept: rounded to ``precision``, as double precision numbers."""
        return _numpy(masses).astype(np.float64).astype(self.precision).astype(np.float64)


CLOSEST = Conventions()
"""The pair truly closest to the Z mass, masses in double precision."""


# ---------------------------------------------------------------------------- the selection


@dataclass(frozen=True)
class ChannelSelection:
    """What one channel makes of a set of events.

    ``cuts`` maps each of :data:`STEPS` to whether each event passes it and every step
    before it; the masses are those of the selected events, in their order, and ``leptons``
    their four leptons: per collection, their indices in the event's (Z1's first in 4μ, 4e).

    Example:
        >>> cuts = {step: np.array([True, True]) for step in STEPS[:-1]}
        >>> chosen = ChannelSelection({**cuts, "Z2 mass": np.array([False, True])},
        ...                           np.array([91.0]), np.array([30.0]), np.array([125.0]),
        ...                           {"Muon": np.array([[0, 3, 1, 2]])})
        >>> chosen.selected.tolist(), chosen.m4l.tolist()  # one mass per selected event
        ([False, True], [125.0])
    """

    cuts: dict[str, np.ndarray]
    z1_mass: np.ndarray
    z2_mass: np.ndarray
    m4l: np.ndarray
    leptons: dict[str, np.ndarray]

    @property
    def selected(self) -> np.ndarray:
        """Whether each event is selected in this channel (passes every step)."""
        return self.cuts[STEPS[-1]]


def sip3d(leptons: Any) -> Any:
    """3D impact-parameter significance, √(dxy² + dz²) / √(dxyErr² + dzErr²), as df103 has it.

    The reduced 2012 NanoAOD has no ``sip3d`` branch. Computed in the files' single precision,
    like df103's ``Define`` on ``RVec<float>``.

    Example:
        >>> track = {"dxy": 0.375, "dz": -0.5, "dxyErr": 0.09375, "dzErr": 0.125}
        >>> sip3d(ak.Array([[track], []])).tolist()
        [[4.0], []]
    """
    dxy, dz, dxy_err, dz_err = (leptons[f] for f in ("dxy", "dz", "dxyErr", "dzErr"))
    return np.sqrt(dxy * dxy + dz * dz) / np.sqrt(dxy_err * dxy_err + dz_err * dz_err)


def near_vertex(leptons: Any) -> Any:
    """Per lepton: a track close to the primary vertex (sip3d < 4, |dxy| < 0.5, |dz| < 1).

    Example:
        >>> track = {"dxy": 0.01, "dz": -0.02, "dxyErr": 0.01, "dzErr": 0.01}
        >>> near_vertex(ak.Array([[track, {**track, "dz": -1.5}]])).tolist()
        [[True, False]]
    """
    return (sip3d(leptons) < 4) & (abs(leptons["dxy"]) < 0.5) & (abs(leptons["dz"]) < 1.0)


class Leptons:
    """The leptons of one flavour in a chunk, and per event what the channels ask of them all.

    ``leptons["pt"]`` is the pt of every lepton of the chunk, flat: the per-lepton cuts run on
    numpy arrays, free of the per-operation cost of jagged ones, and "every lepton of the
    event passes" is "none fails", a count of the failing leptons' events. A field is read
    when first asked for, so a flavour no channel looks at is never read.

    Example:
        >>> muons = Leptons(events.Muon, "pfRelIso04_all", pt_min=5, eta_max=2.4)
        >>> muons.count[:8].tolist()  # (Drell-Yan events)
        [0, 0, 0, 0, 2, 1, 2, 0]
        >>> muons.how_many(muons["pt"] > 20)[:8].tolist(), muons.isolated[:8].tolist()
        ([0, 0, 0, 0, 2, 1, 1, 0], [True, True, True, True, True, True, False, True])
    """

    def __init__(self, leptons: ak.Array, isolation: str, *, pt_min: float, eta_max: float) -> None:
        self.isolation, self.pt_min, self.eta_max = isolation, pt_min, eta_max
        self.count = _numpy(ak.num(leptons, axis=1))
        self.start = np.cumsum(self.count) - self.count  # of each event's first lepton
        self.event = np.repeat(np.arange(len(self.count)), self.count)  # of each lepton
        self._leptons = leptons
        self.name = str(leptons.layout.purelist_parameter("collection_name"))  # "Muon"
        self._flat: dict[str, np.ndarray] = {}  # field → every lepton's value, flat

    def __getitem__(self, field: str) -> np.ndarray:
        """``field`` of every lepton of the chunk, flat (read and flattened once)."""
        if field not in self._flat:
            self._flat[field] = ak.to_numpy(ak.flatten(self._leptons[field], axis=1))
        return self._flat[field]

    @property
    def isolated(self) -> np.ndarray:
        """Every lepton has |isolation| < 0.40."""
        return self.every(abs(self[self.isolation]) < 0.40)

    @property
    def central(self) -> np.ndarray:
        """Every lepton has |η| < ``eta_max``."""
        return self.every(abs(self["eta"]) < self.eta_max)

    @property
    def hard(self) -> np.ndarray:
        """Every lepton has pt > ``pt_min``."""
        return self.every(self["pt"] > self.pt_min)

    @property
    def near_vertex(self) -> np.ndarray:
        """Every lepton is :func:`near_vertex`."""
        return self.every(near_vertex(self))

    @property
    def leading_pair(self) -> np.ndarray:
        """The two highest pt are above 20 and 10 GeV (df103's ``Reverse(Sort(pt))``).

        That is: two leptons above 10 GeV, one of them above 20, so nothing is sorted.
        """
        return (self.how_many(self["pt"] > 10) >= 2) & (self.how_many(self["pt"] > 20) >= 1)

    @property
    def two_and_two(self) -> np.ndarray:
        """Two leptons of charge +1 and two of charge -1."""
        charge = self["charge"]
        return (self.how_many(charge == 1) == 2) & (self.how_many(charge == -1) == 2)

    @property
    def neutral(self) -> np.ndarray:
        """The charges add up to 0."""
        return np.bincount(self.event, self["charge"], minlength=len(self.count)) == 0

    def every(self, passed: np.ndarray) -> np.ndarray:
        """Per event: whether all its leptons pass (``passed``: per lepton, flat)."""
        return self.how_many(~passed) == 0

    def how_many(self, passed: np.ndarray) -> np.ndarray:
        """Per event: how many of its leptons pass (``passed``: per lepton, flat)."""
        return np.bincount(self.event[passed], minlength=len(self.count))

    def first(self, field: str, n: int, events: np.ndarray) -> np.ndarray:
        """``field`` of the first ``n`` leptons of ``events`` (n or more each): (events, n)."""
        return self[field][self.start[events][:, None] + np.arange(n)]

    def momenta(self, n: int, events: np.ndarray) -> vector.MomentumNumpy4D:
        """The first ``n`` leptons of ``events`` as double-precision four-vectors, (events, n).

        Regular numpy from here on: the few pairs of a handful of leptons cost little.
        """
        fields = ("pt", "eta", "phi", "mass")
        return vector.array({f: self.first(f, n, events).astype(np.float64) for f in fields})


def select_four_leptons(
    leptons: Leptons, *, conventions: Conventions = CLOSEST
) -> ChannelSelection:
    """The 4μ or 4e selection of every event (see the module's docstring for the cuts).

    Example:
        >>> muons = Leptons(events.Muon, "pfRelIso04_all", pt_min=5, eta_max=2.4)
        >>> four_mu = select_four_leptons(muons)  # Drell-Yan: no event has four
        >>> int(four_mu.cuts["leptons"].sum()), len(four_mu.m4l)
        (0, 0)
    """
    cuts = _Cuts(len(leptons.count))
    cuts.add("leptons", leptons.count >= 4)
    cuts.add("isolation", leptons.isolated)
    cuts.add("kinematics", leptons.hard & leptons.central)
    cuts.add("impact parameter", leptons.near_vertex)
    left = cuts.add("charges", (leptons.count == 4) & leptons.two_and_two)
    # Pair kinematics of the events left, each with exactly four leptons
    events = np.flatnonzero(left)
    p, q = leptons.momenta(4, events), leptons.first("charge", 4, events)
    cartesian = p.to_xyzt()  # once: every sum below is a sum of numbers
    masses = np.stack([(cartesian[:, i] + cartesian[:, j]).mass for i, j in PAIRS], axis=1)
    opposite = np.stack([q[:, i] != q[:, j] for i, j in PAIRS], axis=1)
    taken = conventions.best_pair(masses, opposite)
    found = taken >= 0  # df103 pairs lepton 0 with itself otherwise, and its ΔR = 0 fails
    pairs = np.stack([np.where(found, taken, 0), np.where(found, 5 - taken, 5)], axis=1)
    first, second = np.array(PAIRS)[pairs].transpose(2, 0, 1)  # (events, 2) lepton indices
    rows = np.arange(len(p))[:, None]
    separated = np.all(p[rows, first].deltaR(p[rows, second]) >= 0.02, axis=1)
    cuts.add("separation", found & separated, among=left)
    z_a, z_b = conventions.stored(np.take_along_axis(masses, pairs, axis=1).T)
    closer = np.abs(z_a - Z_MASS) < np.abs(z_b - Z_MASS)  # df103: the first unless farther
    z1, z2 = np.where(closer, z_a, z_b), np.where(closer, z_b, z_a)
    m4l = conventions.stored(
        (cartesian[:, 0] + cartesian[:, 1] + cartesian[:, 2] + cartesian[:, 3]).mass
    )
    by_pair = np.array(PAIRS)[pairs]  # (events, pair taken and the other, its two leptons)
    z_leptons = np.where(closer[:, None, None], by_pair, by_pair[:, ::-1]).reshape(-1, 4)
    return _z_mass_cuts(cuts, left, {leptons.name: z_leptons}, z1, z2, m4l)


def select_two_pairs(
    electrons: Leptons, muons: Leptons, *, conventions: Conventions = CLOSEST
) -> ChannelSelection:
    """The 2e2μ selection of every event (see the module's docstring for the cuts).

    Example:
        >>> muons = Leptons(events.Muon, "pfRelIso04_all", pt_min=5, eta_max=2.4)
        >>> electrons = Leptons(events.Electron, "pfRelIso03_all", pt_min=7, eta_max=2.5)
        >>> select_two_pairs(electrons, muons).z1_mass  # Drell-Yan: none
        array([], dtype=float64)
    """
    cuts = _Cuts(len(muons.count))
    cuts.add("leptons", (electrons.count >= 2) & (muons.count >= 2))
    cuts.add("isolation", electrons.isolated & muons.isolated)
    leading = muons.leading_pair | electrons.leading_pair
    cuts.add("kinematics", electrons.central & muons.central & leading)
    cuts.add("impact parameter", electrons.near_vertex & muons.near_vertex)
    left = cuts.add("charges", electrons.neutral & muons.neutral)
    # Pair kinematics of the events left: the first two of each flavour
    events = np.flatnonzero(left)
    m, e = muons.momenta(2, events), electrons.momenta(2, events)
    separated = (m[:, 0].deltaR(m[:, 1]) >= 0.02) & (e[:, 0].deltaR(e[:, 1]) >= 0.02)
    cuts.add("separation", separated, among=left)
    m, e = m.to_xyzt(), e.to_xyzt()  # once: every sum below is a sum of numbers
    z_mu, z_el = (m[:, 0] + m[:, 1]).mass, (e[:, 0] + e[:, 1]).mass
    m4l = (m[:, 0] + m[:, 1] + e[:, 0] + e[:, 1]).mass
    # df103 orders the two in double precision, then stores them
    muons_first = np.abs(z_mu - Z_MASS) < np.abs(z_el - Z_MASS)
    z1, z2 = np.where(muons_first, z_mu, z_el), np.where(muons_first, z_el, z_mu)
    stored = conventions.stored
    first_two = np.tile([0, 1], (len(events), 1))
    z_leptons = {muons.name: first_two, electrons.name: first_two}
    return _z_mass_cuts(cuts, left, z_leptons, stored(z1), stored(z2), stored(m4l))


def select_channels(
    events: NanoEvents, channels: Sequence[str] = CHANNELS, conventions: Conventions = CLOSEST
) -> dict[str, ChannelSelection]:
    """Each channel's selection of every event (NanoEvents of the reduced 2012 NanoAOD).

    Example:
        >>> selections = select_channels(events, ("4mu", "2e2mu"))  # Drell-Yan: no 4ℓ
        >>> {c: int(s.selected.sum()) for c, s in selections.items()}
        {'4mu': 0, '2e2mu': 0}
    """
    muons = Leptons(events.Muon, "pfRelIso04_all", pt_min=5, eta_max=2.4)
    electrons = Leptons(events.Electron, "pfRelIso03_all", pt_min=7, eta_max=2.5)
    selectors = {
        "4mu": lambda: select_four_leptons(muons, conventions=conventions),
        "4e": lambda: select_four_leptons(electrons, conventions=conventions),
        "2e2mu": lambda: select_two_pairs(electrons, muons, conventions=conventions),
    }
    # 0/0 in sip3d (no track errors) is NaN and fails "sip3d < 4", as in C++: no warning needed
    with np.errstate(divide="ignore", invalid="ignore"):
        return {channel: selectors[channel]() for channel in channels}


def enough_leptons(events: NanoEvents, channels: Sequence[str] = CHANNELS) -> np.ndarray:
    """Events with the lepton multiplicity of at least one of ``channels`` (the first step).

    Example:
        >>> int(enough_leptons(events, ("4mu", "2e2mu")).sum()), len(events)  # Drell-Yan
        (0, 40)
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
    """H → ZZ → 4ℓ in the 4μ, 4e and 2e2μ channels: m4ℓ, m(Z1), m(Z2), a cutflow each.

    Example:
        >>> import tempfile
        >>> from opencoffea import generate, load_config
        >>> from opencoffea.events import describe, events_from, open_file
        >>> from opencoffea.histograms import book
        >>> from opencoffea.output import Output
        >>> path = f"{tempfile.mkdtemp()}/zz.root"
        >>> path = str(generate("zz4l", path, 1_000, seed=1, format="outreach"))
        >>> file = open_file(path)
        >>> config = load_config("configs/higgs4l_demo.yaml")
        >>> output = Output(histograms=book(config.histograms))
        >>> out = Recorder(output, "ZZTo4L", np.ones(1_000))
        >>> HiggsToFourLeptons(config).analyze(events_from(file, describe(file, path)), out)
        >>> {c: output.cutflows[f"ZZTo4L/{c}"].as_list()[-1]["events"] for c in CHANNELS}
        {'4mu': 87, '4e': 18, '2e2mu': 151}
    """

    conventions: ClassVar[Conventions] = CLOSEST

    def analyze(self, events: NanoEvents, out: Recorder) -> None:
        """The lepton multiplicity, then each channel the dataset feeds as a category."""
        channels = fed_channels(out.metadata)
        out.cut("lepton multiplicity", enough_leptons(events, channels))
        # every event of the chunk: out lines the channels' masks up with its own events
        selections = select_channels(events, channels, self.conventions)
        for channel, selection in selections.items():
            category = out.category(channel=channel)
            for step, passed in selection.cuts.items():
                category.cut(step, passed)
            category.fill("m4l", m4l=selection.m4l)
            category.fill("mZ1", mZ1=selection.z1_mass)
            category.fill("mZ2", mZ2=selection.z2_mass)
            z1, z2 = selection.z1_mass, selection.z2_mass
            category.mark("4l", objects=selection.leptons, m4l=selection.m4l, mZ1=z1, mZ2=z2)
        selected = [s.selected for s in selections.values()] or [np.zeros(len(events), bool)]
        out.cut("in a channel", np.logical_or.reduce(selected))


# ---------------------------------------------------------------------------- helpers


class _Cuts:
    """The cumulative cuts of a channel over its events; a cut may be known on some only."""

    def __init__(self, events: int) -> None:
        self.passed: dict[str, np.ndarray] = {}
        self._last = np.ones(events, dtype=bool)

    def add(self, name: str, mask: Any, among: np.ndarray | None = None) -> np.ndarray:
        """Cut ``name`` (per event, or per event of ``among``); the events passing it so far."""
        mask = _numpy(mask).astype(bool)
        if among is not None:  # the others have failed a cut before
            full = np.zeros(len(among), dtype=bool)
            full[among] = mask
            mask = full
        self._last = self._last & mask
        self.passed[name] = self._last
        return self._last


def _z_mass_cuts(
    cuts: _Cuts, left: np.ndarray, leptons: dict[str, np.ndarray], *masses: np.ndarray
) -> ChannelSelection:
    """The last two cuts on the masses (Z1, Z2, 4ℓ) of the events ``left``, and the selection."""
    z1, z2, m4l = masses
    cuts.add("Z1 mass", (z1 > 40) & (z1 < 120), among=left)
    selected = cuts.add("Z2 mass", (z2 > 12) & (z2 < 120), among=left)[left]
    chosen = {name: indices[selected] for name, indices in leptons.items()}
    return ChannelSelection(cuts.passed, z1[selected], z2[selected], m4l[selected], chosen)


def _numpy(array: Any) -> np.ndarray:
    return ak.to_numpy(array) if isinstance(array, ak.Array) else np.asarray(array)
