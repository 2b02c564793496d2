"""Scene specs: YAML documents (or dicts) describing a whole scene, with distributions.

The schema is in docs/spec.md. Any number or name may be a distribution::

    radius: {truncnormal: [25, 7.5, 15, 35]}      # mean, sigma, low, high (Å)
    prototype: {choice: [fcc, bcc], weights: [3, 1]}

The same spec and seed always give the same atoms, byte for byte.
"""

from __future__ import annotations

import json
import os

from . import _cz
from ._convert import to_atoms


class Spec:
    """A parsed scene spec. ``Spec(path)`` reads a YAML file; ``Spec(dict)`` takes the same
    structure as Python objects. Parsing checks the YAML; :meth:`build` checks every field."""

    def __init__(self, source):
        if isinstance(source, dict):
            # JSON is a subset of YAML 1.2, so a dict travels as JSON text; errors then name
            # "<dict>" and the line of the JSON rendering, one key per line.
            text = json.dumps(source, indent=1, allow_nan=False)
            self._handle = _cz.spec_parse_string(text, "<dict>")
            self.source = "<dict>"
        elif isinstance(source, (str, os.PathLike)):
            self._handle = _cz.spec_parse_file(os.fspath(source))
            self.source = os.fspath(source)
        else:
            raise TypeError(f"a spec is a path or a dict, not {type(source).__name__}")

    def build(self, seed: int | None = None, *, max_atoms: int | None = None,
              nthreads: int | None = None):
        """Sample the distributions with ``seed`` (None: the spec's own ``seed:``), build the
        scene and return it as ase.Atoms (labels in atoms.arrays; atoms.info['seed'] = the seed
        used). Invalid fields raise ValueError naming source:line and field."""
        data = _cz.spec_build(self._handle, seed=seed, max_atoms=max_atoms, nthreads=nthreads)
        atoms = to_atoms(data)
        atoms.info["seed"] = int(data["seed"])
        return atoms


class SpecScene:
    """A spec bound to a seed: ``to_atoms()`` builds it, like :class:`cz.Scene`."""

    def __init__(self, spec: Spec, seed: int | None):
        self.spec = spec
        self.seed = seed

    def to_atoms(self, max_atoms: int | None = None, nthreads: int | None = None):
        return self.spec.build(self.seed, max_atoms=max_atoms, nthreads=nthreads)
