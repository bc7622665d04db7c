"""Every job file's path is spelt once, in advrepro.paths: the rules and their helpers ask it."""

from __future__ import annotations

import re
from pathlib import Path

from advrepro import paths

REPO = Path(__file__).resolve().parents[1]
RULE_FILES = [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]
SCRIPTS = sorted((REPO / "workflow/scripts").glob("*.py"))


def test_no_rule_file_or_rule_script_spells_a_results_or_paper_figures_path():
    literal = re.compile(r"""[frb]*["'](?:results|paper_figures)/""")
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in RULE_FILES + SCRIPTS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line.split("#", 1)[0])
    ]
    assert not found, "\n".join(found)


def test_a_wildcard_pattern_and_its_value_are_the_same_path():
    pattern = paths.record_file("{experiment}", "{method}", "{seed}", "{attack}")
    value = paths.record_file("mnist", "MCT", 0, "pgd40")
    assert pattern.format(experiment="mnist", method="MCT", seed=0, attack="pgd40") == value
    assert paths.artifact_file("mct", "table1", "md") == "paper_figures/mct/table1.md"
    assert paths.claims_file("dundi", "csv") == paths.artifact_file("dundi", "claims", "csv")
