"""Artifact kinds: what a config artifact's ``kind`` builds, from what, with which rule, script
and library function. workflow/rules/aggregate.smk defines one rule per kind from this table
(no rule block is written per kind), paper_figures/index.md names each artifact's rule,
script and function from it, and common.smk derives the output paths from it.

A new kind of an existing shape is one entry here, its script in workflow/scripts/ (a few
lines calling its build function) and its artifacts in the config; docs/architecture.md."""

from __future__ import annotations

from dataclasses import dataclass

# What a rule of a kind may read, by input name (functions of the artifact id in common.smk):
#   records    the evaluation records its cells or panels need
#   reported   the reported-numbers CSV
#   masking    the results of the masking checks of the artifact's experiments (rule
#              masking_checks, one file per masking artifact and experiment)
#   checks     a masking artifact's own check results, one file per experiment in its order
#   neighbours MCT Fig. 2's retrieval results (rule neighbours)
#   flows      kept adversarial examples (experiments with save_adversarial)
#   data       the prepared dataset of the artifact's experiment
INPUTS = ("records", "reported", "masking", "checks", "neighbours", "flows", "data")


# How a kind's config entry is read and checked (advrepro.config), and which records it needs:
#   cells      rows x columns of accuracies from records (rows/methods and columns)
#   checks     masking checks per experiment (``checks``)
#   panels     one experiment, methods x panels (an attack each)
#   retrieval  one experiment, nearest training images of attacked test images (MCT Fig. 2)
SHAPES = ("cells", "checks", "panels", "retrieval")


@dataclass(frozen=True)
class ArtifactKind:
    shape: str  # one of SHAPES
    rule: str  # the Snakemake rule that builds an artifact of this kind
    script: str  # workflow/scripts/<script>: calls ``build``
    outputs: tuple[
        str, ...
    ]  # suffixes of paper_figures/{paper}/{item}.<suffix>; the first is the target
    report: str  # the suffix shown in the HTML report (snakemake --report)
    caption: str  # workflow/report/<caption>
    inputs: tuple[str, ...]  # names from INPUTS
    build: str  # the library function the script calls
    library: str  # the modules under it (the third step from artifact to code)

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise ValueError(
                f"artifact kind {self.rule}: shape {self.shape!r} is not one of {SHAPES}"
            )
        unknown = set(self.inputs) - set(INPUTS)
        if unknown:
            raise ValueError(f"artifact kind {self.rule}: unknown inputs {sorted(unknown)}")
        if self.report not in self.outputs:
            raise ValueError(
                f"artifact kind {self.rule}: report output {self.report} not among outputs"
            )


ARTIFACT_KINDS: dict[str, ArtifactKind] = {
    "table": ArtifactKind(
        "cells",
        "table",
        "table.py",
        ("md", "csv", "tex"),
        "csv",
        "table.rst",
        ("records", "reported", "masking"),
        "advrepro.reporting.artifacts.table_artifact",
        "advrepro.reporting.cells, .tables, .masking",
    ),
    "figure": ArtifactKind(
        "cells",
        "figure",
        "figure.py",
        ("png", "pdf", "csv"),
        "png",
        "figure.rst",
        ("records", "reported"),
        "advrepro.reporting.artifacts.figure_artifact",
        "advrepro.reporting.cells, .figures",
    ),
    "masking": ArtifactKind(
        "checks",
        "masking_report",
        "masking_report.py",
        ("md", "csv"),
        "csv",
        "masking.rst",
        ("checks",),
        "advrepro.reporting.artifacts.masking_report",
        "advrepro.reporting.masking; rule masking_checks runs the checks per experiment",
    ),
    "neighbours": ArtifactKind(
        "retrieval",
        "neighbours_figure",
        "neighbours_figure.py",
        ("png", "pdf", "csv"),
        "png",
        "neighbours.rst",
        ("neighbours",),
        "advrepro.reporting.artifacts.neighbours_figure",
        "advrepro.neighbours (rule neighbours), advrepro.reporting.figures",
    ),
    "confusion": ArtifactKind(
        "panels",
        "confusion_figure",
        "confusion_figure.py",
        ("png", "pdf", "csv"),
        "png",
        "confusion.rst",
        ("records",),
        "advrepro.reporting.artifacts.confusion_figure",
        "advrepro.reporting.figures (confusion_table, plot_confusion)",
    ),
    "flow_validity": ArtifactKind(
        "panels",
        "flow_validity",
        "flow_validity.py",
        ("md", "csv"),
        "csv",
        "flow_validity.rst",
        ("data", "flows"),
        "advrepro.reporting.artifacts.flow_validity",
        "advrepro.reporting.flow_validity, advrepro.data.cicids (invalid_flows)",
    ),
}

# Artifacts with one fixed target, not one per config entry: their rules are written out in
# aggregate.smk; listed here so that the index names their code the same way.
FIXED_ARTIFACTS: dict[str, ArtifactKind] = {
    "training_cost": ArtifactKind(
        "cells",
        "training_cost",
        "training_cost.py",
        ("md", "csv"),
        "csv",
        "training_cost.rst",
        (),
        "advrepro.reporting.artifacts.training_cost",
        "advrepro.reporting.tables",
    ),
    "claims": ArtifactKind(
        "cells",
        "claims",
        "claims.py",
        ("md", "csv"),
        "csv",
        "claims.rst",
        (),
        "advrepro.reporting.artifacts.claims_report",
        "advrepro.reporting.claims",
    ),
    "audit": ArtifactKind(
        "cells",
        "audit",
        "audit.py",
        ("md", "csv"),
        "csv",
        "audit.rst",
        (),
        "advrepro.reporting.artifacts.paper_audit",
        "advrepro.reporting.audit",
    ),
}


def shape_of(spec: dict) -> str:
    """The shape of a config artifact (its kind's)."""
    return kind_of(spec["kind"]).shape


def kind_of(name: str) -> ArtifactKind:
    """The kind of a config artifact (``kind:``) or of a fixed artifact (training_cost, claims)."""
    try:
        return ARTIFACT_KINDS[name] if name in ARTIFACT_KINDS else FIXED_ARTIFACTS[name]
    except KeyError:
        raise KeyError(
            f"unknown artifact kind '{name}'; known: {', '.join(sorted(ARTIFACT_KINDS))}"
        ) from None
