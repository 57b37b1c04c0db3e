"""Scaling out on engines users already run: Dask and Spark (docs/SCALING.md).

Both score with the same bundle and the same batch scorer as ``icop triage``, so scores are
identical to a single-machine run. The engines are optional extras.
"""

from __future__ import annotations

from icop.errors import IcopError


class EngineMissing(IcopError):
    """An engine that is not installed; the message names the extra to install."""


def require(module: str, extra: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise EngineMissing(f"{module} is not installed; install it with: pip install 'icop[{extra}]'") from err
