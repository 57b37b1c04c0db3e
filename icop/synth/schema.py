"""The corpus table: one schema for every corpus icop writes and every reader that checks one.

Every record carries its metadata so that every metric can be cut by it (DESIGN: synthetic data).
"""

from __future__ import annotations

import pyarrow as pa

SPLITS = ("train", "validation", "test")
CORPUS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),  # the name as shared, folder path included where it has one
        ("label", pa.int8()),  # 1: carries a surrogate marker (or is an uninformative positive)
        ("lang", pa.string()),
        ("script", pa.string()),
        ("category", pa.string()),  # naming template (scene_movie, camera, software_file...)
        ("marker_kind", pa.string()),  # listed, unlisted, novel, mixed or none
        ("marker_ids", pa.list_(pa.string())),
        ("obfuscation", pa.list_(pa.string())),  # families applied (to the marker or a carrier word)
        ("groups", pa.list_(pa.string())),  # identity groups and habits (bias cuts)
        ("sources", pa.list_(pa.string())),  # the real sources of the benign items in the name
        ("origins", pa.list_(pa.string())),  # countries of origin of the person names in it
        ("segments", pa.int8()),  # names joined into this one (1-4)
        ("path_depth", pa.int8()),  # folders before the name (0: none)
        ("informative", pa.bool_()),  # whether the name carries words at all (not a camera default)
        ("period", pa.int16()),  # time period (lexicon and obfuscation drift)
        ("split", pa.string()),
    ]
)
FIELDS = tuple(CORPUS_SCHEMA.names)
#: The columns a training table needs (any table with them trains; icop synth writes them all).
TRAINING_COLUMNS = ("text", "label", "split")
