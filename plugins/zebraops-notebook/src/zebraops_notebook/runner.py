"""The ``notebook`` runner: papermill executes ``train.ipynb`` with the
contract's values injected as parameters.

The job is ``python -m zebraops_notebook.execute NOTEBOOK EXECUTED --config
CONFIG``, in the notebook's folder, with the contract's environment (so the
kernel's ``mlflow`` calls land in the run ZebraOps created). The executed
notebook is written to the run's output folder and so becomes an artifact.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

from zebraops_core.errors import ConfigError, RunFailed
from zebraops_core.interfaces import JobResult, JobSpec, RunContext, Runner
from zebraops_core.training.contract import ROLES, contract_env

#: Parameters injected besides one per hyperparameter.
BASE_PARAMETERS = (
    "config_path",
    "model_name",
    "run_id",
    "output_dir",
    "train_uri",
    "valid_uri",
    "test_uri",
    "hyperparams",
)
ERROR_FILE = "notebook_error.json"


def read_notebook(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read notebook {path}: {exc}") from None


def has_parameters_cell(nb: dict[str, Any]) -> bool:
    return any(
        "parameters" in (cell.get("metadata", {}).get("tags") or [])
        for cell in nb.get("cells", [])
    )


def assigned_names(nb: dict[str, Any]) -> set[str]:
    """Top-level names the notebook's code cells assign."""
    names: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = [
            ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))
        ]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
    return names


def parameter_names(model) -> list[str]:
    hp = [*model.hyperparams.defaults, *model.hyperparams.grid]
    return list(dict.fromkeys([*BASE_PARAMETERS, *(k for k in hp if k.isidentifier())]))


class NotebookRunner(Runner):
    type_name = "notebook"

    def check(self, model, model_dir: Path) -> None:
        path = model_dir / model.entrypoint
        if not path.is_file():
            raise ConfigError(
                f"entrypoint {model.entrypoint} of model '{model.name}' not found "
                f"at {path}",
                hint=f"create {path.name} or fix 'entrypoint' in model.yaml",
            )
        nb = read_notebook(path)
        if has_parameters_cell(nb) or model.notebook.allow_untagged_parameters:
            return
        injected = parameter_names(model)
        lost = [name for name in injected if name in assigned_names(nb)]
        shown = ", ".join(lost or injected)
        what = (
            "its own assignments would overwrite the injected"
            if lost
            else "the notebook would never read the injected"
        )
        raise ConfigError(
            f"notebook {model.entrypoint} of model '{model.name}' has no cell "
            f"tagged 'parameters': {what} parameters {shown}",
            hint="tag the cell that sets the defaults with 'parameters' (Jupyter: "
            "View > Cell Toolbar > Tags), or opt in with "
            "--allow-untagged-notebook or 'notebook: {allow_untagged_parameters: "
            "true}' in model.yaml",
        )

    def parameters(self, context: RunContext) -> dict[str, Any]:
        from zebraops_core.training.contract import dataset_uris

        uris = dataset_uris(context)
        params: dict[str, Any] = {
            "config_path": str(context.config_path),
            "model_name": context.model.name,
            "run_id": context.run_id,
            "output_dir": str(context.output_dir),
            "hyperparams": dict(context.params),
        }
        for role in ROLES:
            params[f"{role}_uri"] = uris.get(role)
        for key, value in context.params.items():
            if key.isidentifier() and key not in params:
                params[key] = value
        return params

    def executed_path(self, context: RunContext) -> Path:
        stem = Path(context.model.entrypoint).stem
        return context.output_dir / f"{stem}.executed.ipynb"

    def prepare(self, context: RunContext) -> JobSpec:
        notebook = context.model_dir / context.model.entrypoint
        params_file = context.config_path.with_name("notebook_parameters.json")
        params_file.parent.mkdir(parents=True, exist_ok=True)
        params_file.write_text(json.dumps(self.parameters(context), default=str))
        argv = [
            sys.executable,
            "-m",
            "zebraops_notebook.execute",
            str(notebook),
            str(self.executed_path(context)),
            "--parameters",
            str(params_file),
            "--cwd",
            str(context.model_dir),
            "--error-file",
            str(context.config_path.with_name(ERROR_FILE)),
        ]
        if context.model.notebook.kernel:
            argv += ["--kernel", context.model.notebook.kernel]
        return JobSpec(
            argv=tuple(argv),
            env=contract_env(context),
            cwd=context.project_dir,
            output_dir=context.output_dir,
            log_path=context.output_dir.parent / "logs" / "train.log",
            name=f"{context.model.name}:{context.run_id[:8]}",
        )

    def finalize(self, context: RunContext, result: JobResult) -> None:
        if result.exit_code == 0:
            return
        error_file = context.config_path.with_name(ERROR_FILE)
        try:
            info = json.loads(error_file.read_text())
        except (OSError, ValueError):
            info = None
        if info is None:
            super().finalize(context, result)
            return
        raise RunFailed(
            f"notebook {context.model.entrypoint} failed in {info['cell']}: "
            f"{info['ename']}: {info['evalue']}",
            hint="the executed notebook, with the error under the failing cell, is "
            "the run's artifact outputs/" + self.executed_path(context).name,
        )
