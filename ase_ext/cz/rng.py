"""Counter-based random numbers: every value is a pure function of (seed, stream, index).

Results do not depend on thread count, process count or call order, so any random choice in
a scene can be reproduced from its seed alone.
"""

from __future__ import annotations

import numpy as np

from . import _cz


def u64(seed: int, stream: int, index: int) -> int:
    """64 random bits."""
    return _cz.rng_u64(seed, stream, index)


def uniform(seed: int, stream: int, index: int) -> float:
    """Uniform float in [0, 1) with 53 random bits."""
    return _cz.rng_uniform(seed, stream, index)


def normal(seed: int, stream: int, index: int) -> float:
    """Standard normal deviate."""
    return _cz.rng_normal(seed, stream, index)


def rotation(seed: int, stream: int, index: int) -> np.ndarray:
    """Uniformly random proper rotation matrix (3, 3) on SO(3)."""
    return _cz.rng_rotation(seed, stream, index)
