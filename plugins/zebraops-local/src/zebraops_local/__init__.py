"""ZebraOps compute adapter running jobs as subprocesses on this machine."""

__version__ = "0.1.0"
