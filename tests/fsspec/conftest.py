"""Remote sources reuse the dataset tests' project fixtures."""

from ..datasets.conftest import data_project, people_csv  # noqa: F401
