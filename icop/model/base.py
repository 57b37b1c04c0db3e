"""The interface every model implements: the icop linear model and every baseline.

A model turns names into exact integer logits (fixed point, ``2**-scale_bits`` units), maps
them to calibrated probabilities, and carries operating points frozen on the validation split.
Thresholds, probabilities and the probability-to-threshold rule live here once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icop.errors import InputError
from icop.model.calibration import Calibration, OperatingPoint
from icop.text.normalize import Normalized, as_normalized

#: Fixed point of the weights and logits: a logit of 1.0 is 2**SCALE_BITS.
SCALE_BITS = 16


class ModelError(InputError):
    """A model that cannot be used as asked (unknown operating point, wrong kind...)."""


@dataclass(frozen=True)
class Scores:
    """Scores of a batch of names."""

    logits: np.ndarray  # int64, 2**-scale_bits units
    probabilities: np.ndarray  # float64, calibrated


class Model(ABC):
    """What icop's models share (see the module docstring)."""

    kind: str
    calibration: Calibration
    operating_points: dict[str, OperatingPoint]
    scale_bits: int

    @abstractmethod
    def integer_logits_of(self, names: Sequence[Normalized]) -> np.ndarray:
        """Exact int64 logits of normalised names."""

    @abstractmethod
    def to_files(self) -> dict[str, bytes]:
        """The model's files for a bundle (icop/model/bundle.py)."""

    def score(self, names: Sequence[str | bytes | Normalized]) -> Scores:
        """Integer logits and calibrated probabilities of raw or normalised names."""
        logits = self.integer_logits_of(as_normalized(names))
        return Scores(logits, self.probabilities(logits))

    def float_logits(self, integer_logits: np.ndarray) -> np.ndarray:
        return np.asarray(integer_logits, dtype=np.float64) / (1 << self.scale_bits)

    def probabilities(self, integer_logits: np.ndarray) -> np.ndarray:
        return self.calibration.probability(self.float_logits(integer_logits))

    def threshold(self, point: str | float) -> tuple[int, str]:
        """An integer threshold for a named operating point or a probability, with its source."""
        if isinstance(point, str):
            if point not in self.operating_points:
                known = ", ".join(self.operating_points) or "none (untrained)"
                raise ModelError(f"unknown operating point {point!r}", fix=f"this model has: {known}")
            op = self.operating_points[point]
            return op.threshold, f"operating point {point!r} ({op.rule}, frozen on validation)"
        if not 0 < point < 1:
            raise ModelError(f"a probability threshold must be between 0 and 1 (got {point})")
        return self.logit_for_probability(point), f"probability {point:g} given by the user"

    def logit_for_probability(self, p: float) -> int:
        """The smallest integer logit whose calibrated probability is at least ``p``."""
        candidate = math.floor(self.calibration.logit(p) * (1 << self.scale_bits))
        while self.probabilities(np.array([candidate]))[0] < p:
            candidate += 1
        while self.probabilities(np.array([candidate - 1]))[0] >= p:
            candidate -= 1
        return candidate
