"""Figures drawn from the tidy cell table of ``advrepro.reporting.cells`` (records only).

``line``: one line per (row, series) over the columns' x (accuracy versus epsilon, DunDi's
defence success versus oracle count); ``bar``: grouped bars, rows on the x axis and one bar per
column (DunDi Fig. 6). Ours are mean with a +-1 std bar over seeds; the paper's numbers, where
the CSV has them, are hollow black markers. Stand-in or reduced-scale runs carry a banner.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from advrepro import io  # noqa: E402
from advrepro.config import ARTIFACT_DEFAULTS  # noqa: E402
from advrepro.records import Record  # noqa: E402
from advrepro.registry import function_registry  # noqa: E402
from advrepro.reporting.tables import standin_banner  # noqa: E402

PLOTS = {}


plot_kind = function_registry(PLOTS)


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


@plot_kind("line")
def _line(ax, table: pd.DataFrame, spec: dict) -> None:
    ok = table[table.status == "ok"]
    keys = ["row"] + (["series"] if table.series.notna().any() else [])
    single_row = table.row.nunique() == 1  # then the title names the row; lines = series
    # lines that meet (e.g. several models at 0 % under a large budget) stay apart by marker,
    # line style and a little transparency
    styles = itertools.cycle(zip("osD^vP*X", ["-", "--", "-.", ":"] * 2))
    for key, group in ok.groupby(keys, sort=False):
        if group.x.nunique() < 2:  # one point is no curve (e.g. a model without the sweep)
            continue
        parts = key if isinstance(key, tuple) else (key,)
        label = " · ".join(str(k) for k in (parts[1:] if single_row and len(parts) > 1 else parts))
        group = group.sort_values("x")
        marker, linestyle = next(styles)
        line = ax.errorbar(
            group.x,
            group.ours_mean,
            yerr=group.ours_std,
            marker=marker,
            linestyle=linestyle,
            alpha=0.85,
            capsize=3,
            label=label,
        )
        paper = group[group.reported.notna()]
        if not paper.empty:
            ax.plot(
                paper.x,
                paper.reported,
                linestyle="--",
                marker="s",
                fillstyle="none",
                color=line[0].get_color(),
                label=f"{label} (reported)",
            )
    if spec.get("log_x"):
        ax.set_xscale("log")
    ticks = sorted(ok.x.dropna().unique())
    ax.set_xticks(ticks, [f"{tick:.3g}" for tick in ticks])
    ax.set_xlabel(spec.get("x_label", "x"))


def _without_empty_rows(ax, table: pd.DataFrame) -> pd.DataFrame:
    """The rows with something to show (a number, a model that did not train, or a reported
    value); the others (no model at this scale, e.g. the demo's LeNet-4) are named in the
    legend instead of drawn as a group of "n/a" marks."""
    status = table.status.astype(str)
    shown = status.eq("ok") | status.str.startswith("did not train") | table.reported.map(_finite)
    keep = set(table.row[shown])
    left_out = [r for r in dict.fromkeys(table.row) if r not in keep]
    if not keep or not left_out:
        return table
    note = "no run at this scale: " + ", ".join(left_out)
    ax.plot([], [], " ", label=textwrap.fill(note, 30))
    return table[table.row.isin(keep)]


@plot_kind("bar")
def _bar(ax, table: pd.DataFrame, spec: dict) -> None:
    table = _without_empty_rows(ax, table)
    rows = list(dict.fromkeys(table.row))
    columns = list(dict.fromkeys(table.column))
    width = 0.8 / len(columns)
    for j, column in enumerate(columns):
        part = table[table.column == column].set_index("row").reindex(rows)
        positions = [i - 0.4 + width * (j + 0.5) for i in range(len(rows))]
        means = [m if s == "ok" else 0.0 for m, s in zip(part.ours_mean, part.status)]
        stds = [d if s == "ok" else 0.0 for d, s in zip(part.ours_std, part.status)]
        ax.bar(positions, means, width, yerr=stds, capsize=2, label=column)
        reported = [(p, r) for p, r in zip(positions, part.reported) if _finite(r)]
        if reported:
            ax.scatter(
                *zip(*reported),
                marker="D",
                facecolors="none",
                edgecolors="black",
                zorder=3,
                label="reported" if j == 0 else None,
            )
        for p, status in zip(positions, part.status):
            if status != "ok":  # say why there is no bar: a model that did not learn, or no run
                why = "untrained" if str(status).startswith("did not train") else "n/a"
                ax.text(p, 1, why, rotation=90, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([textwrap.fill(r, 10) for r in rows], fontsize=8)


def plot(table: pd.DataFrame, spec: dict, stamp: dict, out_paths: list[str]) -> None:
    fig, ax = plt.subplots(figsize=spec.get("size", ARTIFACT_DEFAULTS["size"]))
    PLOTS[spec["plot"]](ax, table, spec)
    ax.set_ylabel(spec.get("value_label", ARTIFACT_DEFAULTS["value_label"]))
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    # outside the axes: bars and curves reach every corner of a 0-100 % plot
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    _finish(
        fig,
        spec.get("title", f"{spec['paper']} {spec['item']}"),
        stamp,
        out_paths,
        f"mean ± std over seeds {stamp['seeds']}",
    )


def _finish(
    fig,
    title: str,
    stamp: dict,
    out_paths: list[str],
    what: str,
    title_size: float = 9,
    chars_per_inch: int = 12,
) -> None:
    """Title (with the stand-in banner in red when the run is not the paper's setting), the
    provenance footer, and atomic PNG/PDF writes."""
    width = int(fig.get_size_inches()[0] * chars_per_inch)  # characters per title line
    title = textwrap.fill(title, width)
    banner = standin_banner(stamp)
    if banner:
        title += "\n" + textwrap.fill(
            "NOT THE PAPER'S SETTING: "
            + banner.split(":** ", 1)[1].split(". Reported")[0].replace("**", ""),
            width,
        )
    fig.suptitle(title, fontsize=title_size, color="black" if not banner else "firebrick")
    footer = (
        f"{what} · scale {stamp['scale']} · data {stamp['dataset']} · config "
        f"{stamp['config hash']} · commit {stamp['commit']}\n{stamp['hardware']}"
    )
    fig.text(0.01, 0.005, footer, fontsize=6, color="dimgray", va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    for path in out_paths:
        with io.atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=150)
    plt.close(fig)


def plot_neighbours(results: list[dict], spec: dict, stamp: dict, out_paths: list[str]) -> None:
    """One row per (model, query): the attacked query, then its k nearest training images,
    each titled with its class (green: the query's true class, red: another)."""
    rows = [(r, i) for r in results for i in range(len(r["shown_label"]))]
    k = results[0]["k"]
    fig, axes = plt.subplots(
        len(rows), k + 1, figsize=(1.3 * (k + 1) + 1.6, 1.35 * len(rows) + 1.6), squeeze=False
    )
    for (result, i), line in zip(rows, axes):
        names = result["classes"]
        label = int(result["shown_label"][i])
        images = [result["shown_query"][i]] + list(result["shown_neighbours"][i])
        titles = [f"{names[label]} → {names[int(result['shown_prediction'][i])]}"] + [
            names[int(c)] for c in result["shown_neighbour_labels"][i]
        ]
        for j, (ax, image, title) in enumerate(zip(line, images, titles)):
            picture = image.permute(1, 2, 0).squeeze(-1).numpy()
            ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            same = j == 0 or int(result["shown_neighbour_labels"][i][j - 1]) == label
            ax.set_title(
                title, fontsize=6, color="black" if j == 0 else ("green" if same else "firebrick")
            )
        line[0].set_ylabel(f"{result['method']}\nP@{k} {result['precision_at_k']:.2f}", fontsize=7)
    _finish(
        fig,
        spec.get("title", "nearest neighbours") + f" (column 1: attacked query, "
        f"true → predicted; then its {k} nearest training images; P@{k}: precision over "
        f"{results[0]['queries']} queries)",
        stamp,
        out_paths,
        f"seed {stamp['seeds']}",
        title_size=8,
        chars_per_inch=11,
    )


def confusion_table(records: list[Record], spec: dict) -> pd.DataFrame:
    """Counts summed over seeds and row-normalised shares, per (method, panel, true, predicted)
    class. A prediction outside the classes (a detector's rejection) is "rejected"."""
    rows = []
    by_key = {(r.method, r.attack): [] for r in records}
    for record in records:
        by_key[(record.method, record.attack)].append(record)
    for method in spec["methods"]:
        for panel in spec["panels"]:
            found = by_key.get((method, panel["attack"]), [])
            if not found:
                continue
            classes = list(found[0].classes)
            names = classes + ["rejected"]
            pairs = pd.DataFrame(
                {
                    "true": [t for r in found for t in r.labels],
                    "predicted": [p for r in found for p in r.predicted],
                }
            )
            counts = pairs.value_counts().to_dict()
            for t, true_name in enumerate(classes):
                total = sum(n for (tt, _), n in counts.items() if tt == t)
                for p, predicted_name in enumerate(names):
                    count = counts.get((t, p), 0)
                    if predicted_name == "rejected" and count == 0:
                        continue
                    rows.append(
                        {
                            "method": method,
                            "panel": panel["label"],
                            "attack": panel["attack"],
                            "true": true_name,
                            "predicted": predicted_name,
                            "count": count,
                            "share": count / total if total else float("nan"),
                            "seeds": len(found),
                            "attacked": sum(r.attacked for r in found),
                        }
                    )
    return pd.DataFrame(rows)


def plot_confusion(table: pd.DataFrame, spec: dict, stamp: dict, out_paths: list[str]) -> None:
    """One row-normalised confusion matrix per (method, panel): methods down, panels across."""
    import seaborn as sns

    methods = [m for m in spec["methods"] if m in set(table.method)]
    panels = [p["label"] for p in spec["panels"]]
    fig, axes = plt.subplots(
        len(methods),
        len(panels),
        squeeze=False,
        figsize=(3.0 * len(panels) + 0.8, 2.6 * len(methods) + 1.6),
    )
    for i, method in enumerate(methods):
        for j, panel in enumerate(panels):
            ax = axes[i][j]
            part = table[(table.method == method) & (table.panel == panel)]
            if part.empty:
                ax.text(0.5, 0.5, "not evaluated", ha="center", va="center", fontsize=8)
                ax.set_axis_off()
                continue
            matrix = part.pivot(index="true", columns="predicted", values="share").fillna(0.0)
            order = list(dict.fromkeys(part.true))
            matrix = matrix.reindex(
                index=order, columns=order + [c for c in matrix.columns if c not in order]
            )
            sns.heatmap(
                matrix,
                ax=ax,
                vmin=0,
                vmax=1,
                cmap="Blues",
                annot=True,
                fmt=".2f",
                cbar=False,
                annot_kws={"fontsize": 7},
            )
            ax.set_title(f"{method} · {panel}", fontsize=8)
            ax.set_xlabel("predicted", fontsize=7)
            ax.set_ylabel("true class", fontsize=7)
            ax.tick_params(labelsize=6)
    _finish(
        fig,
        spec.get("title", "confusion matrices") + " (rows: true class, normalised to 1)",
        stamp,
        out_paths,
        f"summed over seeds {stamp['seeds']}",
    )
