"""ZebraOps serving: FastAPI on an MLflow alias with hot swap, batching and
Prometheus metrics."""

__version__ = "0.1.0"
