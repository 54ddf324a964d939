"""ZebraOps runner for train.py scripts."""

__version__ = "0.1.0"
