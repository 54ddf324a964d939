"""ZebraOps connector for files over fsspec: local, http(s), s3, gs; CSV, Parquet, JSON Lines."""

__version__ = "0.1.0"
