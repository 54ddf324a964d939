"""The ``python`` runner: ``python models/<name>/train.py --config <path>``.

The contract (the same for every runner):

* argv: the project's Python, ``models/<name>/<entrypoint>``, ``--config
  CONFIG``; the working folder is the project's root.
* the config (JSON, also valid YAML) holds the dataset URIs, the output
  folder and the hyperparameters;
* the environment holds ``ZEBRA_MODEL_NAME``, ``ZEBRA_RUN_ID``,
  ``ZEBRA_OUTPUT_DIR``, ``ZEBRA_CONFIG``, ``ZEBRA_DATASET_<ROLE>_URI`` per
  declared role, ``MLFLOW_TRACKING_URI``, ``MLFLOW_EXPERIMENT_NAME`` and
  ``MLFLOW_RUN_ID`` (the script's own ``mlflow.start_run()`` resumes the run
  ZebraOps created).
"""

from __future__ import annotations

import sys
from pathlib import Path

from zebraops_core.errors import ConfigError
from zebraops_core.interfaces import JobSpec, RunContext, Runner
from zebraops_core.training.contract import contract_env


class PythonRunner(Runner):
    type_name = "python"

    def check(self, model, model_dir: Path) -> None:
        script = model_dir / model.entrypoint
        if not script.is_file():
            raise ConfigError(
                f"entrypoint {model.entrypoint} of model '{model.name}' not found "
                f"at {script}",
                hint=f"create {script.name} or fix 'entrypoint' in model.yaml",
            )

    def prepare(self, context: RunContext) -> JobSpec:
        script = context.model_dir / context.model.entrypoint
        try:
            shown = str(script.relative_to(context.project_dir))
        except ValueError:
            shown = str(script)
        return JobSpec(
            argv=(sys.executable, shown, "--config", str(context.config_path)),
            env=contract_env(context),
            cwd=context.project_dir,
            output_dir=context.output_dir,
            log_path=context.output_dir.parent / "logs" / "train.log",
            name=f"{context.model.name}:{context.run_id[:8]}",
        )
