"""Reading and writing at the edges: name streams from text, CSV/TSV, JSONL and Parquet
(``streams``), and atomic, reproducible table files (``tables``)."""
