"""Baselines for comparison, saved without pickle and scored through the same interface.

* ``keywords``: the keyword lists alone. It is a :class:`~icop.model.LinearModel` whose only
  weights are the list weights of the keyword entries, so it shares the bundle format, the
  scorer and the explanations.
* ``tfidf``: the reference a user would otherwise pick, scikit-learn ``TfidfVectorizer``
  (``char_wb``, 1-5) with ``LogisticRegression``, over the ``norm`` view. Saved as its
  vocabulary (JSON), idf and coefficients (``.npy``) and rebuilt on load.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from icop.errors import BundleError
from icop.features import FeatureSpace
from icop.keywords import KeywordList
from icop.model.base import SCALE_BITS, Model
from icop.model.calibration import Calibration, OperatingPoint
from icop.model.linear import LinearModel, json_bytes
from icop.text.normalize import Normalized

TFIDF_PARAMS = {"analyzer": "char_wb", "ngram_range": (1, 5), "sublinear_tf": True, "min_df": 2, "lowercase": False}


def keyword_model(keywords: KeywordList, space: FeatureSpace) -> LinearModel:
    """Logit = sum of the list weights of the entries found, minus half a unit (before calibration)."""
    weights = np.zeros(space.size, dtype=np.int32)
    by_id = keywords.by_id()
    for i, entry_id in enumerate(space.keyword_ids):
        weights[space.offsets["keyword"] + i] = round(by_id[entry_id].weight * (1 << SCALE_BITS))
    return LinearModel(
        kind="keywords",
        space=space,
        weights=weights,
        intercept=-(1 << (SCALE_BITS - 1)),
        calibration=Calibration("platt", 1.0, 0.0),
        operating_points={},
        subword_model=None,
        keywords=keywords,
    )


@dataclass
class TfidfModel(Model):
    """The TF-IDF reference (see the module docstring); integer logits are its float logits
    rounded to the same fixed point as icop's, so thresholds and calibration work alike."""

    vectorizer: TfidfVectorizer
    coef: np.ndarray
    intercept: float
    calibration: Calibration
    operating_points: dict[str, OperatingPoint] = field(default_factory=dict)
    kind: str = "tfidf"
    scale_bits: int = SCALE_BITS

    @classmethod
    def fit(cls, texts: Sequence[str], labels: np.ndarray, seed: int) -> TfidfModel:
        vectorizer = TfidfVectorizer(**TFIDF_PARAMS, dtype=np.float64)
        matrix = vectorizer.fit_transform(texts)
        classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=200, solver="liblinear", random_state=seed)
        classifier.fit(matrix, labels)
        return cls(
            vectorizer, classifier.coef_[0].astype(np.float64), float(classifier.intercept_[0]), Calibration("platt", 1.0, 0.0)
        )

    def integer_logits_of_texts(self, texts: Sequence[str]) -> np.ndarray:
        floats = self.vectorizer.transform(texts) @ self.coef + self.intercept
        return np.round(floats * (1 << self.scale_bits)).astype(np.int64)

    def integer_logits_of(self, names: Sequence[Normalized]) -> np.ndarray:
        return self.integer_logits_of_texts([n.norm for n in names])

    def to_files(self) -> dict[str, bytes]:
        vocabulary = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        description = {
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in TFIDF_PARAMS.items()},
            "intercept": self.intercept,
            "scale_bits": self.scale_bits,
            "calibration": asdict(self.calibration),
            "operating_points": {name: asdict(op) for name, op in self.operating_points.items()},
        }
        return {
            "model.json": json_bytes(description),
            "vocabulary.json": json.dumps(vocabulary, ensure_ascii=False).encode("utf-8"),
            "idf.npy": _npy(self.vectorizer.idf_),
            "coef.npy": _npy(self.coef),
        }

    @classmethod
    def from_files(cls, files: dict[str, bytes], kind: str = "tfidf") -> TfidfModel:
        description = json.loads(files["model.json"])
        vocabulary = json.loads(files["vocabulary.json"])
        vectorizer = TfidfVectorizer(**TFIDF_PARAMS, vocabulary={term: i for i, term in enumerate(vocabulary)}, dtype=np.float64)
        vectorizer.idf_ = np.load(io.BytesIO(files["idf.npy"]), allow_pickle=False)
        coef = np.load(io.BytesIO(files["coef.npy"]), allow_pickle=False)
        if coef.shape != (len(vocabulary),) or vectorizer.idf_.shape != (len(vocabulary),):
            raise BundleError("coef.npy / idf.npy do not match the vocabulary")
        return cls(
            vectorizer=vectorizer,
            coef=coef,
            intercept=float(description["intercept"]),
            calibration=Calibration(**description["calibration"]),
            operating_points={k: OperatingPoint(**v) for k, v in description["operating_points"].items()},
            scale_bits=int(description["scale_bits"]),
        )


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()
