"""The MLflow pyfunc model (models from code): loads an icop bundle and scores filenames.

MLflow runs this file when the model is loaded; it must only define the model and call
``set_model``. Input: a DataFrame with a ``filename`` column. Output: the score columns of
``icop triage``: ``probability``, ``logit`` (exact integer logit), ``decision`` (at the bundle's
default operating point) and ``keyword_ids``.
"""

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class IcopPyfunc(PythonModel):
    def load_context(self, context):
        self.bundle_path = context.artifacts["bundle"]

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        from icop.integrations.partition import score_names

        return score_names([str(v) for v in model_input["filename"].tolist()], self.bundle_path)


mlflow.models.set_model(IcopPyfunc())
