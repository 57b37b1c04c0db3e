"""Models: the interface every model implements (``base``), the icop linear model (``linear``),
calibration and operating points (``calibration``), training (``training``), the baselines
(``baselines``), model bundles (``bundle``) and model cards (``card``)."""

from icop.model.base import SCALE_BITS, Model, ModelError, Scores
from icop.model.calibration import DEFAULT_POINT, Calibration, OperatingPoint
from icop.model.linear import LinearModel

__all__ = ["DEFAULT_POINT", "SCALE_BITS", "Calibration", "LinearModel", "Model", "ModelError", "OperatingPoint", "Scores"]
