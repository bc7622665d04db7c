"""Every number the papers print has its cell, and every cell finds its one printed number,
under the paper configuration (the reported CSV is read, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPORTED_CSV

from advrepro import plan
from advrepro.reporting import cells, reported

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paper_config():
    return plan.load([ROOT / "config/config.yaml"], ROOT / "workflow/schemas/config.schema.yaml")


def test_every_reported_row_has_a_cell_or_is_listed_as_unused(paper_config):
    table = reported.load_reported(REPORTED_CSV)
    covered = cells.reported_coverage(
        paper_config["artifacts"], paper_config["experiments"], table
    )  # raises where a selector finds several rows
    unused = paper_config["reported_unused"]

    def listed(row) -> bool:
        return any(
            u["paper"] == row.paper
            and u["item"] == row.item
            and u.get("method", row.method) == row.method
            for u in unused
        )

    orphans = [
        f"{r.paper} {r.item} {r.architecture} {r.method} {r.attack} {r.setting}"
        for r in table.itertuples()
        if r.Index not in covered and not listed(r)
    ]
    assert orphans == []


def test_every_paper_artifact_finds_rows_of_its_item(paper_config):
    """An artifact naming an item the CSV does not have (DunDi's abstract once asked for
    'headline') would show no reported number at all."""
    table = reported.load_reported(REPORTED_CSV)
    covered = cells.reported_coverage(paper_config["artifacts"], paper_config["experiments"], table)
    shown = {artifact for cells_of_row in covered.values() for artifact, _, _ in cells_of_row}
    expected = {
        name
        for name, spec in paper_config["artifacts"].items()
        if spec["paper"] != "ours"
        and spec.get("kind", "table") in ("table", "figure")
        and any(c.get("reported") for c in spec["columns"])
    }
    assert expected - shown == set()


def test_the_abstract_claims_are_judged_against_the_abstract_rows(paper_config):
    table = reported.load_reported(REPORTED_CSV)
    covered = cells.reported_coverage(paper_config["artifacts"], paper_config["experiments"], table)
    abstract = table[(table.paper == "dundi") & (table.item == "abstract")]
    assert len(abstract) == 2
    assert all(covered.get(i) for i in abstract.index)


def test_every_assumption_the_config_names_is_in_the_decisions_table(paper_config):
    import re

    text = (ROOT / "docs/decisions.md").read_text()
    table_ids = re.findall(r"^\| (A\d+) \|", text, flags=re.M)
    assert len(table_ids) == len(set(table_ids)), "an assumption id is listed twice"
    entries = [
        entry
        for experiment in paper_config["experiments"].values()
        for entry in experiment.get("protocol", [])
    ]
    entries += [
        entry
        for artifact in paper_config["artifacts"].values()
        for entry in [*artifact.get("protocol", []), artifact.get("reads_printed") or {}]
    ]
    entries += paper_config["protocol"]
    named = {entry["assumption"] for entry in entries if entry.get("assumption")}
    assert named and named <= set(table_ids)
    stated = [entry for entry in entries if entry.get("quote") is not None]
    assert stated and all(entry["quote"] and entry["where"] for entry in stated)
