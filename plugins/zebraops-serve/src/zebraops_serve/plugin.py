"""Hook implementations of the serving plugin: the ``zebra serve`` command.

Nothing heavy is imported here: the command module loads only when it runs.
"""

from __future__ import annotations

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_commands() -> dict[str, str]:
    return {"serve": "zebraops_serve.command:serve"}
