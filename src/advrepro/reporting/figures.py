"""Figures drawn from the tidy cell table of ``advrepro.reporting.cells`` (records only).

``line``: one line per (row, series) over the columns' x (accuracy versus epsilon, DunDi's
defence success versus oracle count); ``bar``: grouped bars, rows on the x axis and one bar per
column (DunDi Fig. 6). Ours are mean with a +-1 std bar over seeds; the paper's numbers, where
the CSV has them, are hollow black markers. Stand-in or reduced-scale runs carry a banner.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from advrepro import io  # noqa: E402
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
    for key, group in ok.groupby(keys, sort=False):
        parts = key if isinstance(key, tuple) else (key,)
        label = " · ".join(str(k) for k in (parts[1:] if single_row and len(parts) > 1 else parts))
        group = group.sort_values("x")
        line = ax.errorbar(group.x, group.ours_mean, yerr=group.ours_std, marker="o",
                           capsize=3, label=label)
        paper = group[group.reported.notna()]
        if not paper.empty:
            ax.plot(paper.x, paper.reported, linestyle="--", marker="s", fillstyle="none",
                    color=line[0].get_color(), label=f"{label} (reported)")
    if spec.get("log_x"):
        ax.set_xscale("log")
    ax.set_xticks(sorted(ok.x.dropna().unique()))
    ax.set_xlabel(spec.get("x_label", "x"))


@plot_kind("bar")
def _bar(ax, table: pd.DataFrame, spec: dict) -> None:
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
            ax.scatter(*zip(*reported), marker="D", facecolors="none", edgecolors="black",
                       zorder=3, label="reported" if j == 0 else None)
        for p, status in zip(positions, part.status):
            if status != "ok":
                ax.text(p, 1, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([textwrap.fill(r, 10) for r in rows], fontsize=8)


def plot(table: pd.DataFrame, spec: dict, stamp: dict, out_paths: list[str]) -> None:
    fig, ax = plt.subplots(figsize=spec.get("size", [7.5, 4.8]))
    PLOTS[spec["plot"]](ax, table, spec)
    ax.set_ylabel(spec.get("value_label", "accuracy (%)"))
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    # outside the axes: bars and curves reach every corner of a 0-100 % plot
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    width = int(fig.get_size_inches()[0] * 12)  # characters per title line
    title = textwrap.fill(spec.get("title", f"{spec['paper']} {spec['item']}"), width)
    banner = standin_banner(stamp)
    if banner:
        title += "\n" + textwrap.fill("NOT THE PAPER'S SETTING: " + banner.split(":** ", 1)[1]
                                      .split(". Reported")[0].replace("**", ""), width)
    fig.suptitle(title, fontsize=9, color="black" if not banner else "firebrick")
    footer = (f"mean ± std over seeds {stamp['seeds']} · scale {stamp['scale']} · data "
              f"{stamp['dataset']} · config {stamp['config hash']} · commit {stamp['commit']}\n"
              f"{stamp['hardware']}")
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
    fig, axes = plt.subplots(len(rows), k + 1, figsize=(1.3 * (k + 1) + 1.6, 1.35 * len(rows) + 1.6),
                             squeeze=False)
    for (result, i), line in zip(rows, axes):
        names = result["classes"]
        label = int(result["shown_label"][i])
        images = [result["shown_query"][i]] + list(result["shown_neighbours"][i])
        titles = [f"{names[label]} → {names[int(result['shown_prediction'][i])]}"] + [
            names[int(c)] for c in result["shown_neighbour_labels"][i]]
        for j, (ax, image, title) in enumerate(zip(line, images, titles)):
            picture = image.permute(1, 2, 0).squeeze(-1).numpy()
            ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            same = j == 0 or int(result["shown_neighbour_labels"][i][j - 1]) == label
            ax.set_title(title, fontsize=6, color="black" if j == 0 else ("green" if same else "firebrick"))
        line[0].set_ylabel(f"{result['method']}\nP@{k} {result['precision_at_k']:.2f}", fontsize=7)
    width = int(fig.get_size_inches()[0] * 11)
    title = textwrap.fill(spec.get("title", "nearest neighbours") + f" (column 1: attacked query, "
                          f"true → predicted; then its {k} nearest training images; P@{k}: "
                          f"precision over {results[0]['queries']} queries)", width)
    banner = standin_banner(stamp)
    if banner:
        title += "\n" + textwrap.fill("NOT THE PAPER'S SETTING: " + banner.split(":** ", 1)[1]
                                      .split(". Reported")[0].replace("**", ""), width)
    fig.suptitle(title, fontsize=8, color="black" if not banner else "firebrick")
    fig.text(0.01, 0.003, f"seed {stamp['seeds']} · scale {stamp['scale']} · data {stamp['dataset']}"
             f" · config {stamp['config hash']} · commit {stamp['commit']} · {stamp['hardware']}",
             fontsize=5, color="dimgray", va="bottom")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    for path in out_paths:
        with io.atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=150)
    plt.close(fig)
