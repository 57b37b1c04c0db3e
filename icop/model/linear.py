"""A trained linear model: integer weights, calibration and frozen operating points.

Weights are fixed-point int32 (``weight = round(w * 2**scale_bits)``) and features are integer
counts, so a logit is an exact int64 sum wherever it is computed (this library, the batch scorer,
ONNX); the float logit is that integer divided by ``2**scale_bits``. Calibration maps the float
logit to a probability (Platt: ``sigmoid(a * logit + b)``), fitted on the validation split.
Operating points are integer thresholds frozen on the validation split: a name is flagged when
its integer logit is at least the threshold.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from icop import keywords as keyword_lists
from icop.errors import BundleError
from icop.features import FeatureSpace, Featuriser
from icop.keywords import KeywordList, KeywordMatcher
from icop.model.base import SCALE_BITS, Model
from icop.model.calibration import Calibration, OperatingPoint
from icop.text.normalize import Normalized

if TYPE_CHECKING:
    import scipy.sparse as sp


@dataclass
class LinearModel(Model):
    """The icop model: integer weights over the feature space of icop/features/definition.py."""

    kind: str
    space: FeatureSpace
    weights: np.ndarray  # int32, one per feature
    intercept: int
    calibration: Calibration
    operating_points: dict[str, OperatingPoint]
    subword_model: bytes | None
    keywords: KeywordList | None
    scale_bits: int = SCALE_BITS
    _featuriser: Featuriser | None = field(default=None, repr=False)
    _featuriser_key: bytes | None = field(default=None, repr=False)

    def featuriser(self, key: bytes | None = None) -> Featuriser:
        """The training featuriser of this model (built once per keyword key)."""
        if self._featuriser is None or key != self._featuriser_key:
            from icop.features import subwords

            processor = subwords.load(self.subword_model) if self.subword_model else None
            matcher = KeywordMatcher(self.keywords, key) if self.keywords is not None else None
            self._featuriser, self._featuriser_key = Featuriser(self.space, processor, matcher), key
        return self._featuriser

    def release_caches(self) -> None:
        """Empties the per-token caches of its featuriser, if built (no result changes)."""
        if self._featuriser is not None:
            self._featuriser.release_caches()

    def integer_logits(self, matrix: sp.csr_matrix) -> np.ndarray:
        """Exact int64 logits of a feature matrix."""
        return matrix.astype(np.int64) @ self.weights.astype(np.int64) + np.int64(self.intercept)

    def integer_logits_of(self, names: Sequence[Normalized]) -> np.ndarray:
        """Exact int64 logits through the training featuriser (the reference the scorer matches)."""
        return self.integer_logits(self.featuriser().transform(names))

    def family_weights(self, family: str) -> np.ndarray:
        """The weights of one feature family (a view)."""
        return self.weights[self.space.family_slice(family)]

    # ------------------------------------------------------------------ files (see icop/bundle.py)

    def to_files(self) -> dict[str, bytes]:
        description = {
            "space": self.space.to_json(),
            "intercept": int(self.intercept),
            "scale_bits": self.scale_bits,
            "calibration": asdict(self.calibration),
            "operating_points": {name: asdict(op) for name, op in self.operating_points.items()},
        }
        weights = io.BytesIO()
        np.save(weights, self.weights.astype(np.int32), allow_pickle=False)
        files = {"model.json": json_bytes(description), "weights.npy": weights.getvalue()}
        if self.subword_model:
            files["subwords.model"] = self.subword_model
        for name, data in self.keywords.files if self.keywords else ():
            files[f"keywords/{name}"] = data
        return files

    @classmethod
    def from_files(cls, files: dict[str, bytes], kind: str) -> LinearModel:
        description = json.loads(files["model.json"])
        weights = np.load(io.BytesIO(files["weights.npy"]), allow_pickle=False)
        space = FeatureSpace.from_json(description["space"])
        if weights.dtype != np.int32 or weights.shape != (space.size,):
            raise BundleError(f"weights.npy: expected int32[{space.size}], found {weights.dtype}{list(weights.shape)}")
        lists = sorted(name for name in files if name.startswith("keywords/"))
        return cls(
            kind=kind,
            space=space,
            weights=weights,
            intercept=int(description["intercept"]),
            calibration=Calibration(**description["calibration"]),
            operating_points={k: OperatingPoint(**v) for k, v in description["operating_points"].items()},
            subword_model=files.get("subwords.model"),
            keywords=keyword_lists.load_sources([(name, files[name]) for name in lists]) if lists else None,
            scale_bits=int(description["scale_bits"]),
        )


def json_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
