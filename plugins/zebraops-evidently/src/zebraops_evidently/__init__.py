"""ZebraOps drift and data-quality monitor built on Evidently."""

__version__ = "0.1.0"
