"""``zebra demo``: the README's main job."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Telco churn CSV (default: the example's generated rows).",
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the demo project in DIR and keep it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(data: Path | None, keep: Path | None, as_json: bool) -> None:
    """Run the whole loop on the embedded default: ingest, a grid, eval,
    promote, serve, predict, monitor a drifted batch. No server, no Docker."""
    from rich.console import Console

    from ..cli.output import echo_json
    from ..demo import run_demo

    console = Console(stderr=True)

    class Step:
        def __init__(self, title: str) -> None:
            self.title = title

        def __enter__(self) -> None:
            self.status = console.status(f"[bold]{self.title}[/]...")
            self.status.__enter__()

        def __exit__(self, exc_type, *rest) -> None:
            self.status.__exit__(exc_type, *rest)
            mark = "[red]✗[/]" if exc_type else "[green]✓[/]"
            console.print(f"{mark} {self.title}")

    report = run_demo(data=data, keep=keep, step=Step)
    if as_json:
        echo_json(report.as_dict())
        return
    _print_summary(report)


def _print_summary(report) -> None:
    """One ``what: where`` line each: readable, and easy to grep."""
    project = report.project
    metrics = ", ".join(
        f"{k}={v:.4f}"
        for k, v in sorted(report.metrics.items())
        if isinstance(v, float)
    )
    verdict = "recommended" if report.recommendation else "not needed"
    rows = [
        ("project", project),
        ("manifest", f"{report.manifest_id} {report.rows}"),
        ("grid", f"{len(report.grid)} runs; best run {report.best_run}"),
        ("eval (valid)", metrics),
        ("eval report", report.eval_report),
        ("prod", f"churn version {report.version}"),
        (
            "served",
            f"{report.predictions} predictions from {report.served_url}, "
            f"{report.positive_share:.0%} predicted to churn",
        ),
        ("drift", f"{report.drift_share:.0%} of columns drifted; retrain {verdict}"),
        *[("why", reason) for reason in report.reasons],
        ("monitor report", report.monitor_report),
        (
            "MLflow UI",
            f"mlflow ui --backend-store-uri sqlite:///{project}/.zebraops/mlflow.db",
        ),
        ("steps (s)", ", ".join(f"{k} {v}" for k, v in report.timings.items())),
        ("wall time", f"{report.wall_s} s"),
    ]
    for what, where in rows:
        click.echo(f"{what + ':':<16}{where}")
