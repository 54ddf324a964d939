"""The sampling rule of monitoring, and reading files already sampled.

Above ``monitoring.sample_rows`` rows a side is replaced by a uniform random
sample without replacement of that many rows, drawn with
``numpy.random.default_rng(monitoring.seed)``: the same rows whether the
sample is taken while reading a Parquet file (at the Arrow level, before any
pandas object exists, which is what keeps memory low) or from a frame.

Why 100,000 rows are enough: by the Dvoretzky-Kiefer-Wolfowitz inequality,
``P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2)``, so with n = 100,000 the
sample's empirical CDF is within 0.0062 of the full data's everywhere with
probability 99.9%, and each category share is within 3 standard errors
(<= 3 * sqrt(0.25 / n) = 0.0047). The tests Evidently picks above 1,000 rows
are distances (normed Wasserstein, Jensen-Shannon) with drift at 0.1; their
value does not grow with n, so an error of that size cannot flip a verdict
except for a column sitting within ~0.01 of its threshold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

REASON = (
    "a uniform random sample without replacement of {n} rows per side "
    "(seed {seed}): by the Dvoretzky-Kiefer-Wolfowitz inequality the sample's "
    "empirical CDF is within {eps:.4f} of the full data's everywhere with "
    "probability 99.9%, and every category share within {se:.4f} (3 standard "
    "errors); both far below the 0.1 drift thresholds of the distance tests "
    "Evidently uses above 1,000 rows, whose values do not grow with n"
)


def sample_rule(n_ref: int, n_cur: int, sample_rows: int, seed: int) -> dict:
    """The rule applied to sides of these sizes, stated for the report."""
    applied = n_ref > sample_rows or n_cur > sample_rows
    eps = math.sqrt(math.log(2 / 0.001) / (2 * sample_rows))
    se = 3 * math.sqrt(0.25 / sample_rows)
    return {
        "applied": applied,
        "method": "uniform without replacement" if applied else "none",
        "sample_rows": sample_rows,
        "seed": seed,
        "reference_rows": n_ref,
        "current_rows": n_cur,
        "reason": REASON.format(n=sample_rows, seed=seed, eps=eps, se=se)
        if applied
        else f"both sides have at most {sample_rows} rows: all used",
    }


def sample_indices(n: int, size: int, seed: int) -> np.ndarray | None:
    """Sorted row positions to keep, or ``None`` when every row is kept."""
    if n <= size:
        return None
    import numpy as np

    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def sample_frame(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    keep = sample_indices(len(frame), size, seed)
    return frame if keep is None else frame.iloc[keep]


def read_frame(
    uri: str,
    *,
    storage_options: dict[str, Any] | None = None,
    sample_rows: int | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, int]:
    """A parquet, csv or jsonl file as a frame, sampled when ``sample_rows``
    is given, and the file's total row count."""
    import pandas as pd

    lower = uri.lower()
    options = storage_options if "://" in uri else None
    if lower.endswith((".csv", ".jsonl", ".ndjson", ".json")):
        if lower.endswith(".csv"):
            frame = pd.read_csv(uri, storage_options=options)
        else:
            lines = not lower.endswith(".json")
            frame = pd.read_json(uri, lines=lines, storage_options=options)
        total = len(frame)
        if sample_rows:
            frame = sample_frame(frame, sample_rows, seed)
        return frame, total
    # Parquet: keep the sampled rows column by column, so neither the whole
    # Arrow table nor the whole frame ever exists.
    if "://" in uri:
        import fsspec

        with fsspec.open(uri, "rb", **(options or {})) as fh:
            return _read_parquet(fh, sample_rows, seed)
    return _read_parquet(uri, sample_rows, seed)


def _read_parquet(source: Any, sample_rows: int | None, seed: int):
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    total = parquet.metadata.num_rows
    keep = sample_indices(total, sample_rows, seed) if sample_rows else None
    if keep is None:
        return parquet.read().to_pandas(), total
    # One column at a time: a row group is Parquet's smallest read, and
    # pandas writes a million rows as one, so whole rows would cost the file.
    take = pa.array(keep)
    names = [n for n in parquet.schema_arrow.names if not n.startswith("__index")]
    columns = [parquet.read(columns=[n]).column(0).take(take) for n in names]
    return pa.Table.from_arrays(columns, names=names).to_pandas(), total
