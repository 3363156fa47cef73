"""Synthetic CMS NanoAOD samples: the offline demo's inputs, big files for tests and benchmarks.

`generate` writes one sample of a physics process with uproot, either in the NanoAOD layout (tree
``Events`` beside ``Runs`` and ``LuminosityBlocks``) or in the reduced 2012 "outreach" layout of the
CMS H→4ℓ open data (tree ``aod2nanoaod/Events``). Branch names, types and titles are those of real
files (NanoAODv6/v9 for "nanoaod", the AOD2NanoAODOutreachTool output for "outreach"), so whatever
reads a real file reads these, coffea's ``NanoAODSchema`` with its cross-references included.

The physics is simple but honest. Generator-level particles come from chains of two-body decays
(Breit–Wigner masses, isotropic decays, falling boson pT); reconstructed objects are those particles
seen through a detector: acceptance, efficiency, momentum resolution (muons ~1–2 %, electrons
~2 %, jets ~10–20 %), identification and isolation that differ for prompt and non-prompt leptons,
pile-up jets, and a missing transverse momentum that is the neutrinos minus what the detector
mismeasured, with a type-1 correction consistent with the jets. Floats are stored at the mantissa
precision NanoAOD uses, which is both what real files hold and what makes them compress.

Determinism: events are simulated in fixed blocks of 10 000; block *i* draws from its own random
stream keyed by (seed, process, kind, i). A file's event content is therefore a pure function of
(process, events, seed, kind, format); ``chunk_size`` only sets where baskets end on disk.

One job a module, in the order a block of events flows through them:

- `processes`: the names of the processes, all that checking a YAML file needs (so that it
  does not import the generator: `generate` and the rest are imported on first use);
- `layout`: the branches of each format (names, types, titles, stored precision);
- `objects`: padded collections of objects, ΔR matching, index cross-references;
- `truth`: generator level: the processes' GenPart tables and GenJets, four-vectors by `vector`;
- `detector`: reconstructed jets, leptons and photons;
- `simulation`: the processes, pile-up, MET and triggers: one block of NanoAOD events;
- `outreach`: the same events as the 2012 outreach tool writes them;
- `blocks`: a block's random stream, event numbers and typed branch arrays;
- `writing`: `generate` and `demo_samples`: uproot trees, Runs sums, compression, the record.

Example:
    >>> import tempfile, uproot
    >>> from opencoffea.samples import generate
    >>> path = generate("dy_mumu", f"{tempfile.mkdtemp()}/dy.root", events=2_000, seed=7)
    >>> uproot.open(path)["Runs"]["genEventCount"].array(library="np")
    array([2000])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .processes import PROCESSES

if TYPE_CHECKING:
    from .writing import GENERATOR_VERSION, demo_samples, generate

__all__ = ["GENERATOR_VERSION", "PROCESSES", "demo_samples", "generate"]


if not TYPE_CHECKING:  # type checkers see the import above

    def __getattr__(name: str) -> Any:
        """`generate`, `demo_samples` and `GENERATOR_VERSION`, imported from `writing` when
        first asked for (PEP 562): the generator brings vector and awkward with it.

        Example:
            >>> import opencoffea.samples
            >>> opencoffea.samples.GENERATOR_VERSION > 0
            True
        """
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from . import writing

        return getattr(writing, name)
