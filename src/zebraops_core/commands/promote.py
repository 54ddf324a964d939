"""``zebra promote``, ``zebra rollback`` and ``zebra history``."""

from __future__ import annotations

import click


def _short(value: object, width: int = 90) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("promote")
@click.argument("model")
@click.option("--run", "run_id", required=True, help="MLflow run id to promote.")
@click.option("--to", "target", required=True, type=click.Choice(["staging", "prod"]))
@click.option("--force", is_flag=True, help="Bypass failed gates (needs --reason).")
@click.option("--reason", default="", help="Why; recorded in the ledger.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def promote(
    ctx,
    model: str,
    run_id: str,
    target: str,
    force: bool,
    reason: str,
    as_json: bool,
) -> None:
    """Move the staging or prod alias to a run's model version.

    Runs the gates configured for the target; the alias moves only when all
    pass, or with --force --reason. A run never evaluated is evaluated first.
    """
    from rich.console import Console

    from ..cli.output import echo_json, table
    from ..errors import GateFailed
    from ..promotion import promote as do_promote

    with Console(stderr=True).status(f"Promoting {model} run {run_id} to {target}..."):
        outcome = do_promote(ctx, model, run_id, target, force=force, reason=reason)
    if as_json:
        echo_json(outcome.to_dict())
    else:
        table(
            f"Gates for {model} v{outcome.version} -> {outcome.alias}",
            ["gate", "verdict", "reason"],
            [
                [v.gate, "PASS" if v.passed else "FAIL", _short(v.reason, 120)]
                for v in outcome.verdicts
            ],
        )
        if outcome.evaluated_now:
            click.echo("(the run was evaluated first: it had no evaluation)", err=True)
    if not outcome.promoted:
        raise GateFailed(
            f"{model} v{outcome.version} was not promoted to '{outcome.alias}': "
            + outcome.message,
            hint='fix the model, or bypass with --force --reason "..."',
        )
    click.secho(outcome.message, fg="yellow" if outcome.forced else "green", err=True)


@click.command("rollback")
@click.argument("model")
@click.option(
    "--to", "to_run", default=None, help="Run id whose version gets the alias."
)
@click.option(
    "--previous", is_flag=True, help="The version that held the alias before."
)
@click.option("--alias", default=None, help="Alias to move (default: the prod alias).")
@click.option("--reason", default="", help="Why; recorded in the ledger.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def rollback(
    ctx,
    model: str,
    to_run: str | None,
    previous: bool,
    alias: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Point an alias back at an earlier version (recorded in the ledger)."""
    from ..cli.output import echo_json
    from ..promotion import entry_dict
    from ..promotion import rollback as do_rollback

    entry = do_rollback(
        ctx, model, to_run=to_run, previous=previous, alias=alias, reason=reason
    )
    if as_json:
        echo_json(entry_dict(entry))
        return
    click.echo(
        f"{model}: '{entry.alias}' -> v{entry.to_version} "
        f"(was v{entry.from_version}), ledger entry {entry.id}"
    )


@click.command("history")
@click.argument("model")
@click.option("--alias", default=None, help="Only this alias.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def history(ctx, model: str, alias: str | None, as_json: bool) -> None:
    """Print a model's promotion ledger, oldest first."""
    from ..cli.output import echo_json, table
    from ..promotion import entry_dict
    from ..promotion import history as read_history

    ctx.project.load_model(model)
    entries = read_history(ctx, model, alias)
    if as_json:
        echo_json([entry_dict(e) for e in entries])
        return
    rows = []
    for e in entries:
        gates = " ".join(
            f"{v.get('gate')}:{'ok' if v.get('passed') else 'FAIL'}" for v in e.verdicts
        )
        rows.append(
            [
                e.id,
                e.at,
                e.actor,
                e.action,
                e.alias,
                e.from_version or "-",
                e.to_version,
                e.run_id,
                gates,
                "yes" if e.forced else "",
                _short(e.reason, 40),
            ]
        )
    table(
        f"Promotion ledger of {model}",
        [
            "#",
            "at",
            "actor",
            "action",
            "alias",
            "from",
            "to",
            "run",
            "gates",
            "forced",
            "reason",
        ],
        rows,
    )
