"""Which rules run on the submitting host: every seconds-long rule (data, tables, figures,
reports, the index), a new artifact kind's too, and no training or attack rule."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO

from advrepro.reporting.kinds import ARTIFACT_KINDS, FIXED_ARTIFACTS


def test_the_reporting_and_data_rules_are_local_and_the_compute_rules_are_not():
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(configfiles=[REPO / "config/demo.yaml"]),
            snakefile=REPO / "Snakefile",
            workdir=Path(REPO),
        )._workflow
        local = set(workflow._localrules)
        names = {rule.name for rule in workflow.rules}
    reporting = {kind.rule for kind in {**ARTIFACT_KINDS, **FIXED_ARTIFACTS}.values()}
    assert (
        reporting | {"all", "index", "masking_checks", "prepare_dataset", "fetch_cicids_day"}
        <= local
    )
    compute = {n for n in names if n == "train" or n.startswith(("train_", "evaluate", "craft"))}
    assert compute and not compute & local
    assert "neighbours" not in local  # MCT Fig. 2's retrieval runs an attack: a cluster job
