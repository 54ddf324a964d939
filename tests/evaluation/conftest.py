"""Evaluation tests reuse the trained worlds of the promotion tests."""

from tests.promotion.conftest import (  # noqa: F401
    server_world,
    sqlite_only,
    sqlite_world,
    world,
)
