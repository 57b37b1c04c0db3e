"""icop: offline multilingual triage of peer-to-peer filenames (child-protection research).

Library first; the ``icop`` command is a thin layer over it. Content rules: docs/CONTENT_RULES.md.
Entry points: :func:`icop.normalize.normalize`, :mod:`icop.keywords`, :mod:`icop.synth`.
"""

import os as _os
import tempfile as _tempfile

__version__ = "0.1.0"

# Nothing under $HOME is needed (an unwritable or missing home must not stop icop): PyThaiNLP
# creates ~/pythainlp-data when imported unless told where its data lives and not to write.
# icop reads only the data shipped inside the package; a user's own settings are left alone.
if not (_os.environ.get("PYTHAINLP_DATA") or _os.environ.get("PYTHAINLP_DATA_DIR")):
    _os.environ["PYTHAINLP_DATA"] = _os.path.join(_tempfile.gettempdir(), "icop-pythainlp-data")
if not (_os.environ.get("PYTHAINLP_READ_ONLY") or _os.environ.get("PYTHAINLP_READ_MODE")):
    _os.environ["PYTHAINLP_READ_ONLY"] = "1"
