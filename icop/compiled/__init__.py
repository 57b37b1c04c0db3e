"""The optional compiled drivers (``icop/compiled/_fastpath.pyx``, and ``_keyed.pyx`` for keyed-hash
keyword lists, which links OpenSSL) and the one switch that chooses them.

:data:`DRIVERS` is decided once, at import: the compiled module where it was built (a C compiler
at install time) unless the environment sets ``ICOP_PURE_PYTHON=1``. Every batch loop asks
``DRIVERS.module`` (or ``DRIVERS.keyed``) when it runs (None means the Python reference paths). The results are
identical either way (tests hold them together), so an auditor can re-run any job without
compiled code; :meth:`Drivers.pure_python` switches them off for a block (tests, audits).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


class Drivers:
    """Which implementation the batch loops use (see the module docstring)."""

    def __init__(self, module: ModuleType | None, keyed: ModuleType | None = None):
        self.module = module
        self.keyed = keyed

    @property
    def compiled(self) -> bool:
        return self.module is not None

    @contextmanager
    def pure_python(self) -> Iterator[None]:
        """Run the Python reference paths inside the block."""
        saved, self.module, self.keyed = (self.module, self.keyed), None, None
        try:
            yield
        finally:
            self.module, self.keyed = saved


def _built(name: str) -> ModuleType | None:
    if os.environ.get("ICOP_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(f"icop.compiled.{name}")
    except ImportError:
        return None


DRIVERS = Drivers(_built("_fastpath"), _built("_keyed"))
