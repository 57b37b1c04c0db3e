"""The feature space: one definition of every feature (``definition``), the training featuriser
(``featuriser``) and the sentencepiece subwords (``subwords``)."""

from icop.features.definition import FAMILIES, NGRAM_VIEWS, FeatureSpace
from icop.features.featuriser import Featuriser, ngram_matrix

__all__ = ["FAMILIES", "NGRAM_VIEWS", "FeatureSpace", "Featuriser", "ngram_matrix"]
