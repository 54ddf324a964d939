"""ZebraOps promotion gates: threshold, champion (with bootstrap), lineage."""

__version__ = "0.1.0"
