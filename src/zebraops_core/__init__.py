"""ZebraOps: MLOps around the training code you already have.

Nothing happens at import: the plugin manager, the state store and every heavy
library are built or imported on first use.
"""

__version__ = "0.1.0"
