"""A plugin whose registration hook raises."""

from zebraops_core.hookspecs import hookimpl


@hookimpl
def register_runners():
    raise RuntimeError("runner registry exploded")
