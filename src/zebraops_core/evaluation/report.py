"""The numbers of an evaluation and their two renderings: a JSON document
with every number, and one self-contained HTML page (inline SVG plots)."""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import metrics as m

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: Curves keep at most this many points in the JSON and plots.
CURVE_POINTS = 200
#: Segment tables show at most this many values per column (rest: "other").
SEGMENT_VALUES = 20
CALIBRATION_BINS = 10


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    if n > CURVE_POINTS:
        idx = np.unique(np.linspace(0, n - 1, CURVE_POINTS).round().astype(int))
        arrays = tuple(a[idx] for a in arrays)
    return [[m.finite(float(v)) for v in a] for a in arrays]


# -- Numbers ----------------------------------------------------------------


def classification_details(
    y: np.ndarray, scores: np.ndarray, classes: Sequence[Any], threshold: float
) -> dict:
    """Confusion matrix, and for binary models ROC, PR and calibration."""
    from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

    labels = list(classes)
    y = m.encode_labels(y, labels)
    pred = m.predicted_index(scores, threshold)
    matrix = confusion_matrix(y, pred, labels=list(range(len(labels))))
    out: dict[str, Any] = {
        "classes": [str(c) for c in labels],
        "threshold": threshold,
        "confusion_matrix": {
            "labels": [str(c) for c in labels],
            "rows_are": "true",
            "matrix": matrix.tolist(),
        },
        "class_counts": {str(c): int((y == i).sum()) for i, c in enumerate(labels)},
    }
    if len(labels) != 2:
        return out
    positive = labels[1]
    truth = y
    p = scores[:, 1]
    out["positive_class"] = str(positive)
    out["positive_rate"] = float(truth.mean()) if len(truth) else None
    if 0 < truth.sum() < len(truth):
        fpr, tpr, thr = roc_curve(truth, p)
        fpr, tpr, thr = _thin(fpr, tpr, np.clip(thr, 0, 1))
        out["roc_curve"] = {"fpr": fpr, "tpr": tpr, "thresholds": thr}
        precision, recall, thr = precision_recall_curve(truth, p)
        precision, recall = _thin(precision, recall)
        out["pr_curve"] = {"precision": precision, "recall": recall}
    edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, CALIBRATION_BINS - 1)
    bins = []
    for b in range(CALIBRATION_BINS):
        inside = which == b
        count = int(inside.sum())
        bins.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": count,
                "mean_predicted": float(p[inside].mean()) if count else None,
                "fraction_positive": float(truth[inside].mean()) if count else None,
            }
        )
    out["calibration"] = {"bins": bins}
    return out


def regression_details(y: np.ndarray, pred: np.ndarray) -> dict:
    residual = np.asarray(y, float) - pred
    quantiles = (
        np.quantile(residual, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
        if len(residual)
        else []
    )
    counts, edges = np.histogram(residual, bins=30) if len(residual) else ([], [])
    return {
        "residuals": {
            "mean": m.finite(float(residual.mean())) if len(residual) else None,
            "std": m.finite(float(residual.std())) if len(residual) else None,
            "quantiles": dict(
                zip(
                    ["p01", "p05", "p25", "p50", "p75", "p95", "p99"],
                    [float(q) for q in quantiles],
                    strict=False,
                )
            ),
            "histogram": {
                "counts": [int(c) for c in counts],
                "edges": [float(e) for e in edges],
            },
        },
        "sample": {"predicted": _thin(pred)[0], "residual": _thin(residual)[0]},
    }


def segment_table(
    frame: pd.DataFrame,
    column: str,
    y: np.ndarray,
    output: np.ndarray,
    names: Sequence[str],
    classes: Sequence[Any] | None,
    threshold: float,
) -> list[dict]:
    """One row per value (or quantile bin for many numeric values)."""
    import pandas as pd

    values = frame[column]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > SEGMENT_VALUES:
        keys = pd.qcut(values, 5, duplicates="drop").astype(str)
    else:
        keys = values.astype(object).where(values.notna(), "(missing)").astype(str)
        top = keys.value_counts().index[:SEGMENT_VALUES]
        keys = keys.where(keys.isin(top), "(other)")
    rows = []
    for key in keys.value_counts().index:
        mask = (keys == key).to_numpy()
        row: dict[str, Any] = {"value": str(key), "rows": int(mask.sum())}
        if classes is not None and len(classes) == 2:
            row["positive_rate"] = float(
                (m.encode_labels(y[mask], classes) == 1).mean()
            )
        for name in names:
            row[name] = m.finite(
                m.compute(name, y[mask], output[mask], classes, threshold)
            )
        rows.append(row)
    return rows


def split_details(
    task: str,
    frame: pd.DataFrame,
    y: np.ndarray,
    output: np.ndarray,
    classes: Sequence[Any] | None,
    threshold: float,
    metric_names: Sequence[str],
    segments: Sequence[str],
) -> dict:
    all_names = list(dict.fromkeys([*metric_names, *m.DEFAULT_METRICS[task]]))
    values = m.compute_all(all_names, y, output, classes, threshold)
    out: dict[str, Any] = {
        "rows": len(y),
        "metrics": {k: m.finite(v) for k, v in values.items()},
    }
    if task == m.CLASSIFICATION:
        out["classification"] = classification_details(
            y, output, classes or [], threshold
        )
    else:
        out["regression"] = regression_details(y, output)
    seg_names = list(metric_names) or list(m.DEFAULT_METRICS[task][:2])
    out["segments"] = {}
    for column in segments:
        if column not in frame.columns:
            log.warning("segment column %s is not in the evaluation data", column)
            out["segments"][column] = {"missing": True, "rows": []}
            continue
        out["segments"][column] = {
            "missing": False,
            "rows": segment_table(
                frame, column, y, output, seg_names, classes, threshold
            ),
        }
    return out


# -- HTML -------------------------------------------------------------------


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float = 4.2, height: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot(1, 1, 1)


def _plots_classification(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    plots = []
    if "roc_curve" in details:
        fig, ax = _figure()
        roc = details["roc_curve"]
        ax.plot(roc["fpr"], roc["tpr"], color="#1f77b4")
        ax.plot([0, 1], [0, 1], ls="--", color="#999")
        ax.set(
            xlabel="False positive rate", ylabel="True positive rate", title="ROC curve"
        )
        plots.append(("ROC curve", _svg(fig)))
    if "pr_curve" in details:
        fig, ax = _figure()
        pr = details["pr_curve"]
        ax.plot(pr["recall"], pr["precision"], color="#d62728")
        if details.get("positive_rate") is not None:
            ax.axhline(details["positive_rate"], ls="--", color="#999")
        ax.set(
            xlabel="Recall",
            ylabel="Precision",
            title="Precision-recall curve",
            ylim=(0, 1.02),
        )
        plots.append(("Precision-recall curve", _svg(fig)))
    cm = details["confusion_matrix"]
    matrix = np.asarray(cm["matrix"])
    fig, ax = _figure()
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(cm["labels"])), cm["labels"])
    ax.set_yticks(range(len(cm["labels"])), cm["labels"])
    ax.set(
        xlabel="Predicted",
        ylabel="True",
        title=f"Confusion matrix (threshold {details['threshold']:g})",
    )
    top = matrix.max() if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(value),
            ha="center",
            va="center",
            color="white" if value > top / 2 else "black",
        )
    plots.append(("Confusion matrix", _svg(fig)))
    if "calibration" in details:
        bins = [b for b in details["calibration"]["bins"] if b["count"]]
        fig, ax = _figure()
        ax.plot([0, 1], [0, 1], ls="--", color="#999")
        ax.plot(
            [b["mean_predicted"] for b in bins],
            [b["fraction_positive"] for b in bins],
            marker="o",
            color="#2ca02c",
        )
        ax.set(
            xlabel="Mean predicted probability",
            ylabel="Fraction positive",
            title="Calibration",
            xlim=(0, 1),
            ylim=(0, 1),
        )
        plots.append(("Calibration", _svg(fig)))
    return plots


def _plots_regression(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    sample = details["sample"]
    fig, ax = _figure()
    ax.scatter(sample["predicted"], sample["residual"], s=8, alpha=0.6)
    ax.axhline(0, ls="--", color="#999")
    ax.set(xlabel="Predicted", ylabel="Residual (true - predicted)", title="Residuals")
    plots = [("Residuals", _svg(fig))]
    hist = details["residuals"]["histogram"]
    if hist["counts"]:
        fig, ax = _figure()
        edges = np.asarray(hist["edges"])
        ax.bar(edges[:-1], hist["counts"], width=np.diff(edges), align="edge")
        ax.set(xlabel="Residual", ylabel="Rows", title="Residual distribution")
        plots.append(("Residual distribution", _svg(fig)))
    return plots


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4f}"
        return html.escape("" if v is None else str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1rem}
.plots figure{margin:0}.plots svg{width:380px;height:auto}
.pass{color:#1a7f37}.fail{color:#c62828}
"""


def render_html(report: Mapping[str, Any]) -> str:
    """One page, no external resources: plots are inline SVG."""
    declared = {d["name"]: d for d in report["metrics_declared"]}
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Evaluation of {html.escape(report['model'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Evaluation of {html.escape(report['model'])}</h1>",
        _table(
            ["", ""],
            [
                ["Run", report["run_id"]],
                ["Model version", report.get("model_version")],
                ["Task", report["task"]],
                ["Evaluated at", report["created_at"]],
            ],
        ),
    ]
    for role, split in report["splits"].items():
        parts.append(f"<h2>{html.escape(role)}: {html.escape(split['source'])}</h2>")
        rows = []
        for name, value in split["metrics"].items():
            d = declared.get(name)
            verdict = ""
            if d and d.get("threshold") is not None and value is not None:
                ok = (
                    (value >= d["threshold"])
                    if d["direction"] == "maximize"
                    else (value <= d["threshold"])
                )
                verdict = "meets" if ok else "misses"
            rows.append(
                [
                    name,
                    value,
                    d["direction"] if d else "",
                    d.get("threshold") if d else None,
                    verdict,
                ]
            )
        parts.append(f"<p>{split['rows']} rows scored.</p>")
        parts.append(
            _table(
                ["metric", "value", "direction", "threshold", "threshold check"], rows
            )
        )
        if "classification" in split:
            plots = _plots_classification(split["classification"])
        else:
            plots = _plots_regression(split["regression"])
        parts.append("<div class='plots'>")
        for title, svg in plots:
            parts.append(f"<figure aria-label='{html.escape(title)}'>{svg}</figure>")
        parts.append("</div>")
        for column, seg in split["segments"].items():
            parts.append(f"<h3>By {html.escape(column)}</h3>")
            if seg["missing"]:
                parts.append("<p>Column not present in the evaluation data.</p>")
                continue
            keys = [k for k in seg["rows"][0] if k != "value"] if seg["rows"] else []
            parts.append(
                _table(
                    [column, *keys],
                    [[r["value"], *[r[k] for k in keys]] for r in seg["rows"]],
                )
            )
    parts.append("</body></html>")
    return "\n".join(parts)
