"""Triage, the main job: read names (icop/io/streams.py), score them in chunks that survive a
crash (``chunks``, ``workdir``), write the ranked review queue (``output``) with group ranks
(``groups``), explanations of the best-ranked names (``explanations``) and an audit record
(``audit``). ``job.run`` ties them together."""

from icop.triage.job import TriageOptions, TriageSummary, run
from icop.triage.output import OUTPUT_FORMATS, output_format
from icop.triage.workdir import TriageError

__all__ = ["OUTPUT_FORMATS", "TriageError", "TriageOptions", "TriageSummary", "output_format", "run"]
