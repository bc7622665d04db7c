"""paper_figures/audit.md: the papers' contradictions and open settings, our readings, their
assumption ids and the cells they affect, all from the config and the printed numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO, REPORTED_CSV

from advrepro import plan
from advrepro.reporting import audit, claims, reported


@pytest.fixture(scope="module")
def paper_config():
    return plan.load([REPO / "config/config.yaml"], REPO / "workflow/schemas/config.schema.yaml")


def test_each_assumption_names_the_printed_cells_it_affects(paper_config):
    table = reported.load_reported(REPORTED_CSV)
    affected = audit.affected_cells(
        paper_config["artifacts"], paper_config["experiments"], paper_config["protocol"], table
    )
    rows, columns = affected["A15"]["mct_table3"]  # the AUC reading: every printed cell
    assert len(rows) * len(columns) == 32 and "Clean" not in columns
    rows, _ = affected["A23"]["dundi_table1"]  # native models: their rows, and DunDi_P's
    assert "lenet1 Native" in rows and "lenet1 DunDi_P" in rows and "lenet1 DunDi_R" not in rows
    assert set(affected["A24"]) >= {"dundi_table1", "dundi_table2", "dundi_fig6", "dundi_abstract"}
    assert set(affected["A8"]) == {"mct_table1"}
    # every finding names the cells it affects: through its assumption's protocol entries, or
    # (a setting no record carries: the seeds, Table 4's lost header) its artifacts
    for finding in paper_config["audit"]:
        assert affected.get(finding.get("assumption")) or finding.get("artifacts"), finding["id"]


def test_the_audit_lists_the_findings_and_the_claims_the_papers_numbers_contradict(paper_config):
    contradicted = pd.DataFrame(
        [
            {
                "claim": "rises then falls",
                "source": "Sec. IV-G",
                "quote": "first increases and then decreases",
                "check": "rises_then_falls",
                "artifact": "mct_table4",
                "status": "not run",
                "on_papers_numbers": claims.CONTRADICTED,
                "papers_evidence": "FGSM_1: 70.00 → 69.00",
            }
        ]
    )
    table = audit.audit_table(
        paper_config["audit"], {"A15": {"mct_table3": (["AT"], ["JSMA"])}}, [contradicted]
    )
    assert len(table) == len(paper_config["audit"]) + 1
    last = table.iloc[-1]
    assert last.id == "claim" and last.paper == "mct" and claims.CONTRADICTED in last.finding
    a15 = table[table.assumption == "A15"].iloc[0]
    assert a15.cells == "mct_table3: AT / JSMA"
    text = audit.render_markdown(table, [], {"commit": "abc"})
    assert "first increases and then decreases" in text and "commit: abc" in text


def test_the_largest_improvement_is_read_from_the_printed_numbers():
    table = reported.load_reported(REPORTED_CSV)
    found = {i["item"]: i for i in audit.largest_improvements(table)}
    assert set(found) == {"table1", "table2", "table3 (densenet121)", "table3 (resnet50)"}
    t2 = table[(table.paper == "mct") & (table.item == "table2") & (table.attack != "clean")]
    t2 = t2.assign(value=t2.value.astype(float), column=t2.attack + t2.steps + t2.restarts)
    wide = t2.pivot_table(index="column", columns="method", values="value")
    margins = wide.MCT - wide[["AT", "ALP", "TLA"]].max(axis=1)
    assert found["table2"]["margin"] == pytest.approx(margins.max())
