"""A plugin claiming the connector type name sample_connectors has."""

from zebraops_core.hookspecs import hookimpl


class OtherMemory:
    type_name = "memory"


@hookimpl
def register_connectors():
    return {"memory": OtherMemory}
