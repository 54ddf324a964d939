"""A plugin providing runner type names for both model types."""

from zebraops_core.hookspecs import hookimpl


class ScriptRunner:
    type_name = "python"


class NotebookRunner:
    type_name = "notebook"


@hookimpl
def register_runners():
    return {"python": ScriptRunner, "notebook": NotebookRunner}
