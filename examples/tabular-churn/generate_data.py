"""Write synthetic Telco-shaped churn rows to data/telco_churn.csv.

Same 21 columns, value sets and quirks as IBM's Telco customer churn file
(``TotalCharges`` is a single space for customers with tenure 0), with churn
depending on contract, tenure, charges and services so a model can learn it.

    python generate_data.py                 # 7,043 rows, seed 0
    python generate_data.py --rows 100000 --seed 7 --output /tmp/churn.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

COLUMNS = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
]
LETTERS = pa.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
PAYMENT = [
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
]
ADDONS = [
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
]
CHUNK = 250_000
#: Distinct 5-letter id suffixes.
MAX_ROWS = 26**5


def _pick(rng: np.random.Generator, n: int, p: list[float]) -> np.ndarray:
    return rng.choice(len(p), size=n, p=p)


def _strings(index: np.ndarray, values: list[str]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def _customer_ids(rng: np.random.Generator, start: int, n: int) -> pa.Array:
    """Unique ids like 7590-VHVEG: 4 digits, then the row number spelled
    letters through a fixed permutation."""
    rows = np.arange(start, start + n, dtype=np.int64)
    code = (rows * 7_919_071 + 1_234_567) % MAX_ROWS
    letters = []
    for _ in range(5):
        letters.append(LETTERS.take(pa.array(code % 26)))
        code //= 26
    digits = pc.utf8_lpad(
        pc.cast(pa.array(rng.integers(0, 10_000, n)), pa.string()), 4, "0"
    )
    return pc.binary_join_element_wise(
        digits, pa.array(["-"] * n), pc.binary_join_element_wise(*letters, ""), ""
    )


def chunk_table(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    yes_no = ["No", "Yes"]
    senior = (rng.random(n) < 0.162).astype(np.int64)
    partner = (rng.random(n) < 0.48).astype(int)
    dependents = (rng.random(n) < np.where(partner == 1, 0.5, 0.15)).astype(int)
    contract = rng.choice(3, size=n, p=[0.55, 0.21, 0.24])
    max_tenure = np.array([30, 60, 72])[contract]
    tenure = np.minimum(rng.integers(1, 73, n), max_tenure + rng.integers(0, 13, n))
    tenure[rng.random(n) < 0.0016] = 0
    phone = (rng.random(n) < 0.9).astype(int)
    internet = rng.choice(3, size=n, p=[0.34, 0.44, 0.22])  # DSL, Fiber, No
    multiple = np.where(phone == 0, 2, (rng.random(n) < 0.42).astype(int))
    addons = {
        name: np.where(internet == 2, 2, (rng.random(n) < p).astype(int))
        for name, p in zip(ADDONS, [0.29, 0.34, 0.34, 0.29, 0.38, 0.39], strict=True)
    }
    n_addons = sum((v == 1).astype(int) for v in addons.values())
    monthly = (
        20
        + 5 * phone
        + 5 * (multiple == 1)
        + np.array([25, 50, 0])[internet]
        + 5 * n_addons
        + rng.normal(0, 2.5, n)
    )
    monthly = np.round(np.clip(monthly, 18.25, 118.75), 2)
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.05, n), 2)
    paperless = (rng.random(n) < 0.59).astype(int)
    payment = _pick(rng, n, [0.34, 0.23, 0.22, 0.21])
    logit = (
        -1.6
        + 1.6 * (contract == 0)
        - 0.9 * (contract == 2)
        - 0.035 * tenure
        + 0.9 * (internet == 1)
        + 0.5 * (payment == 0)
        + 0.35 * senior
        + 0.3 * paperless
        - 0.3 * addons["TechSupport"].clip(0, 1)
        + 0.01 * (monthly - 65)
    )
    churn = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    total_text = pc.cast(pa.array(total), pa.string())
    total_text = pc.if_else(pa.array(tenure == 0), " ", total_text)
    with_none = yes_no + ["No phone service"]
    no_internet = yes_no + ["No internet service"]
    columns = {
        "customerID": _customer_ids(rng, start, n),
        "gender": _strings(rng.integers(0, 2, n), ["Female", "Male"]),
        "SeniorCitizen": pa.array(senior),
        "Partner": _strings(partner, yes_no),
        "Dependents": _strings(dependents, yes_no),
        "tenure": pa.array(tenure.astype(np.int64)),
        "PhoneService": _strings(phone, yes_no),
        "MultipleLines": _strings(multiple, with_none),
        "InternetService": _strings(internet, ["DSL", "Fiber optic", "No"]),
        **{name: _strings(v, no_internet) for name, v in addons.items()},
        "Contract": _strings(contract, ["Month-to-month", "One year", "Two year"]),
        "PaperlessBilling": _strings(paperless, yes_no),
        "PaymentMethod": _strings(payment, PAYMENT),
        "MonthlyCharges": pa.array(monthly),
        "TotalCharges": total_text,
        "Churn": _strings(churn, yes_no),
    }
    return pa.table({name: columns[name] for name in COLUMNS})


def generate(output: Path, rows: int, seed: int = 0) -> Path:
    """Write ``rows`` synthetic rows to ``output`` (atomically) and return it."""
    if rows > MAX_ROWS:
        raise SystemExit(f"at most {MAX_ROWS:,} rows (customer ids must be unique)")
    rng = np.random.default_rng(seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    options = pacsv.WriteOptions(quoting_style="none", include_header=False)
    writer = None
    with open(tmp, "wb") as fh:
        fh.write((",".join(COLUMNS) + "\n").encode())
        for start in range(0, rows, CHUNK):
            table = chunk_table(rng, start, min(CHUNK, rows - start))
            if writer is None:
                writer = pacsv.CSVWriter(fh, table.schema, write_options=options)
            writer.write_table(table)
        if writer is not None:
            writer.close()
    tmp.replace(output)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=7043)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).parent / "data" / "telco_churn.csv",
    )
    args = parser.parse_args()
    path = generate(args.output, args.rows, args.seed)
    print(f"wrote {args.rows:,} rows to {path}")


if __name__ == "__main__":
    main()
