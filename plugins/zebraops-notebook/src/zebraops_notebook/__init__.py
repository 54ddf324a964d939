"""ZebraOps runner for train.ipynb notebooks (papermill + nbclient)."""

__version__ = "0.1.0"
