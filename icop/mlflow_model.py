"""The MLflow pyfunc model (models from code): loads an icop bundle and scores filenames.

MLflow runs this file when the model is loaded; it must only define the model and call
``set_model``. Input: a DataFrame with a ``filename`` column. Output: ``score`` (calibrated
probability), ``logit`` (exact integer logit) and ``label`` (1 at the bundle's best-F1 point).
"""

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class IcopPyfunc(PythonModel):
    operating_point = "best_f1"

    def load_context(self, context):
        from icop import bundle

        self.model, self.manifest = bundle.load(context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        names = [str(v) for v in model_input["filename"].tolist()]
        logits, scores = self.model.score(names)
        threshold, _ = self.model.threshold(self.operating_point)
        return pd.DataFrame({"score": scores, "logit": logits, "label": (logits >= threshold).astype("int64")})


mlflow.models.set_model(IcopPyfunc())
