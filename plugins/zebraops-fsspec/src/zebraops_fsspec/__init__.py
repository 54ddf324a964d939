"""ZebraOps connector for files over fsspec.

Local, http(s), s3 and gs; CSV, Parquet and JSON Lines.
"""

__version__ = "0.1.0"
