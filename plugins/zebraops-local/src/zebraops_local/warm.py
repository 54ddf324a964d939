"""A pre-warmed interpreter: ``python -m zebraops_local.warm MODULE...``.

Imports the given modules (errors ignored: the job imports them again and
sees its own errors), then reads one JSON line from stdin,
``{"argv": [...], "env": {...}, "cwd": "..."}``, and runs that job in this
process exactly as ``python SCRIPT ARGS`` or ``python -m MODULE ARGS``
would: ``__name__ == "__main__"``, ``sys.argv`` and ``sys.path[0]`` as
Python sets them. End of input without a job: exit 0 quietly.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import sys
import warnings


def _preimport(modules: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            # A failing import is the job's to report, when it runs.
            with contextlib.suppress(BaseException):
                importlib.import_module(name)


def main() -> None:
    _preimport(sys.argv[1:])
    line = sys.stdin.readline()
    if not line.strip():
        return
    order = json.loads(line)
    os.chdir(order["cwd"])
    os.environ.update(order["env"])
    argv = order["argv"][1:]
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        sys.path[0] = os.getcwd()
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = os.path.abspath(argv[0])
    sys.argv = argv  # argv[0] as given, as Python keeps it
    sys.path[0] = os.path.dirname(script)
    _run_main(script)


def _run_main(script: str) -> None:
    """Execute ``script`` as ``__main__`` the way ``python script`` does."""
    import importlib.machinery
    import tokenize
    import types

    with tokenize.open(script) as fh:
        source = fh.read()
    main_module = types.ModuleType("__main__")
    main_module.__file__ = script
    main_module.__loader__ = importlib.machinery.SourceFileLoader("__main__", script)
    main_module.__spec__ = None
    main_module.__cached__ = None
    main_module.__builtins__ = __builtins__
    sys.modules["__main__"] = main_module
    exec(compile(source, script, "exec"), main_module.__dict__)  # noqa: S102


if __name__ == "__main__":
    main()
