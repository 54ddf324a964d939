"""ZebraOps connector for SQL queries through SQLAlchemy."""

__version__ = "0.1.0"
