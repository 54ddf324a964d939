"""``zebra init`` and ``zebra new model``: scaffolds from templates."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli.output import info, success


@click.command("init")
@click.argument(
    "directory",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--example",
    type=click.Choice(["blank", "tabular-churn"]),
    default="blank",
    show_default=True,
    help="Start empty, or from the Telco churn example.",
)
def init(directory: Path, example: str) -> None:
    """Scaffold a ZebraOps project in DIRECTORY (default: here).

    Writes zebra.yaml, models/, data_sources/, profiles/ (local, shared, vast,
    sagemaker, vertex), .env.example and a .gitignore that keeps .zebraops/,
    cached_data/ and .env out of git. Refuses to overwrite any file.
    """
    from ..templates import init_project

    written = init_project(directory, example=example)
    for path in written:
        info(f"  created {path}")
    success(f"ZebraOps project ready in {directory} ({len(written)} files)")
    here = directory.resolve() == Path.cwd().resolve()
    steps = [] if here else [f"cd {directory}"]
    if example == "tabular-churn":
        steps += ["python generate_data.py", "zebra doctor", "zebra ingest telco_churn"]
    else:
        steps += ["zebra new model my-model --type python", "zebra doctor"]
    info("Next: " + " && ".join(steps))


@click.group("new")
def new() -> None:
    """Add something to the project from a template."""


@new.command("model")
@click.argument("name")
@click.option(
    "--type",
    "type_",
    type=click.Choice(["python", "notebook"]),
    default="python",
    show_default=True,
    help="A train.py script or a train.ipynb notebook.",
)
@click.option(
    "--dataset",
    default=None,
    help="Dataset id the spec reads (default: the project's first).",
)
@click.pass_obj
def new_model(ctx, name: str, type_: str, dataset: str | None) -> None:
    """Add models/NAME/ with model.yaml and train.py or train.ipynb.

    The notebook has a cell tagged `parameters`. Refuses to overwrite.
    """
    from ..templates import new_model as scaffold

    project = ctx.project
    ids = project.dataset_ids()
    written = scaffold(
        project.models_dir,
        name,
        type_=type_,
        dataset=dataset or (ids[0] if ids else ""),
    )
    for path in written:
        info(f"  created {project.relative(path)}")
    if not (dataset or ids):
        info("Set datasets: in model.yaml once data_sources/ has a definition.")
    success(f"model '{name}' added; check it with `zebra validate`")
