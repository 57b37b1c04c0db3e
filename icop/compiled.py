"""The optional compiled drivers (``icop/_fastpath.pyx``), or None.

None where the extension was not built (no C compiler at install time) or when the environment
sets ``ICOP_PURE_PYTHON=1``, which runs the Python reference paths: the results are identical
(tests hold them together), so an auditor can re-run any job without compiled code.
"""

import os

fastpath = None
if os.environ.get("ICOP_PURE_PYTHON", "") in ("", "0"):
    try:
        from icop import _fastpath as fastpath
    except ImportError:
        fastpath = None
