"""Scoring: the vectorised batch scorer (``scorer``), which computes the featuriser's exact
integer logits without building a feature matrix, and per-name explanations (``explain``)."""

from icop.scoring.scorer import BATCH, BatchScorer, ScoredBatch

__all__ = ["BATCH", "BatchScorer", "ScoredBatch"]
