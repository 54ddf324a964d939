"""SQL sources reuse the dataset tests' project fixtures."""

from ..datasets.conftest import data_project  # noqa: F401
