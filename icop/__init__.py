"""icop: offline multilingual triage of peer-to-peer filenames (child-protection research).

Library first; the ``icop`` command is a thin layer over it. Content rules: SAFETY.md.
"""

from icop.normalize import Normalized, normalize

__version__ = "0.1.0"
__all__ = ["Normalized", "normalize", "__version__"]
