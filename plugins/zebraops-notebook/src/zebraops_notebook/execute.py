"""Execute a notebook with papermill: the notebook runner's job.

``python -m zebraops_notebook.execute NOTEBOOK EXECUTED --parameters JSON
--cwd DIR [--error-file JSON] [--kernel NAME]``. Cell output goes to
stdout/stderr as it comes. A failing cell: exit 1, and the error file names
the cell (its position in the original notebook, id and first line).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def _tagged(cell: dict, tag: str) -> bool:
    return tag in (cell.get("metadata", {}).get("tags") or [])


def describe_cell(executed: Path, index: int) -> str:
    """``cell 7 (id 'fit', starts 'model.fit(...)')`` counted in the original
    notebook, without the injected-parameters cell."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return f"cell {index + 1}"
    # The index counts cells as executed: without papermill's error banners.
    cells = [c for c in cells if not _tagged(c, "papermill-error-cell-tag")]
    original = [c for c in cells if not _tagged(c, "injected-parameters")]
    cell = cells[index] if 0 <= index < len(cells) else None
    if cell is None or _tagged(cell, "injected-parameters"):
        return f"cell {index + 1}"
    position = next(i for i, c in enumerate(original) if c is cell) + 1
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    details = []
    if cell.get("id"):
        details.append(f"id '{cell['id']}'")
    if first:
        details.append(f"starts '{first[:60]}'")
    return f"cell {position}" + (f" ({', '.join(details)})" if details else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zebraops_notebook.execute")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("executed", type=Path)
    parser.add_argument("--parameters", type=Path, required=True)
    parser.add_argument("--cwd", type=Path, required=True)
    parser.add_argument("--error-file", type=Path)
    parser.add_argument("--kernel", default="python3")
    args = parser.parse_args(argv)

    # Cell outputs stream through papermill's logger.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    for noisy in ("traitlets", "asyncio", "blib2to3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import papermill
    from papermill.exceptions import PapermillExecutionError

    params = json.loads(args.parameters.read_text())
    args.executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(args.notebook),
            str(args.executed),
            parameters=params,
            cwd=str(args.cwd),
            kernel_name=args.kernel,
            log_output=True,
            progress_bar=False,
        )
    except PapermillExecutionError as exc:
        cell = describe_cell(args.executed, exc.cell_index)
        message = f"{args.notebook.name}: {cell} failed: {exc.ename}: {exc.evalue}"
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        if args.error_file:
            args.error_file.write_text(
                json.dumps(
                    {
                        "cell": cell,
                        "index": exc.cell_index,
                        "ename": exc.ename,
                        "evalue": exc.evalue,
                    }
                )
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
