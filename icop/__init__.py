"""icop: offline multilingual triage of peer-to-peer filenames (child-protection research).

Library first; the ``icop`` command is a thin layer over it. Content rules: SAFETY.md.
Entry points: :func:`icop.normalize.normalize`, :mod:`icop.keywords`, :mod:`icop.synth`.
"""

__version__ = "0.1.0"
