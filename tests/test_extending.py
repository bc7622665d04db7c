"""The two promises of docs/architecture.md, tried as a contributor would, in a copy of the
workflow: a new attack is one file in the attacks package plus one config entry, and a new
artifact kind of an existing shape is one registry entry, its script and its config entry.
Nothing else is edited; Snakemake plans, runs and checks them like the built-in ones."""

from __future__ import annotations

import json
import os
import textwrap

import pytest
from conftest import copy_workflow, require_demo_data, run_snakemake

pytestmark = pytest.mark.slow

NEW_ATTACK = '''
"""Uniform noise in the L-inf ball: a contributor's attack (tests/test_extending.py)."""

import torch

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, Positive


@ATTACKS.register("uniform_noise")
class UniformNoise(Attack):
    norm = "linf"
    family = "noise"
    adversarial = False
    randomised = True

    # the options' names, defaults and allowed values, declared once (advrepro.options)
    def __init__(self, model, eps: Positive, restarts: Count = 1):
        super().__init__(model, eps=eps, restarts=restarts)

    def generate(self, x, y):
        return (x + torch.empty_like(x).uniform_(-self.eps, self.eps)).clamp(0, 1)
'''


def _extended_workflow(tmp_path, files: dict[str, str], overlay: str):
    require_demo_data()
    (tmp_path / "workflow").mkdir()
    workdir = copy_workflow(tmp_path / "workflow")
    for path, text in files.items():
        target = workdir / path
        target.write_text(target.read_text() + text if target.exists() else text)
    (workdir / "extension.yaml").write_text(textwrap.dedent(overlay))
    # the copy's library first (a contributor's checkout is the editable install)
    env = {**os.environ, "PYTHONPATH": str(workdir / "src")}
    return workdir, env


def _snakemake(workdir, env, *args):
    return run_snakemake(
        workdir, *args, "--cores", "2", overrides=(".test/config.yaml", "extension.yaml"), env=env
    )


def test_a_new_attack_is_one_file_and_one_config_entry(tmp_path):
    workdir, env = _extended_workflow(
        tmp_path,
        {"src/advrepro/attacks/uniform_noise.py": NEW_ATTACK},
        """
        experiments:
          mnist:
            attacks:
              uniform: {class: uniform_noise, methods: [MCT], params: {eps: 0.3}}
        """,
    )
    record = "results/mnist/records/MCT/seed0/uniform.json"
    result = _snakemake(workdir, env, record)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    saved = json.loads((workdir / record).read_text())
    assert saved["attack_class"] == "uniform_noise" and saved["norm"] == "linf"
    assert saved["eps"] == 0.3 and 0.0 <= saved["accuracy"] <= 1.0 and saved["count"] == 64

    # its options are checked like every other attack's, before any job: the name it does
    # not take, and the value its signature's annotation rules out
    (workdir / "extension.yaml").write_text(
        textwrap.dedent("""
        experiments:
          mnist:
            attacks:
              uniform: {class: uniform_noise, methods: [MCT], params: {eps: -0.3, spread: 2}}
        """)
    )
    refused = _snakemake(workdir, env, "-n", record)
    assert refused.returncode != 0
    message = refused.stdout + refused.stderr
    assert "experiments.mnist.attacks.uniform.params.spread" in message
    assert "experiments.mnist.attacks.uniform.params.eps" in message


NEW_KIND = """

# a contributor's kind (tests/test_extending.py): a table without its LaTeX rendering
ARTIFACT_KINDS["short_table"] = ArtifactKind(
    "cells", "short_table", "short_table.py", ("md", "csv"), "csv", "table.rst",
    ("records", "reported"), "workflow/scripts/short_table.py", "advrepro.reporting.tables")
"""

NEW_KIND_SCRIPT = '''
"""Rule short_table: evaluation records -> paper_figures/<paper>/<item>.{md,csv}."""
from advrepro import io
from advrepro.logs import logging_to
from advrepro.reporting import artifacts, tables

with logging_to(snakemake.log[0]):
    spec = dict(snakemake.params.spec)
    table, stamp = artifacts.artifact_cells(
        list(snakemake.input.records), spec, dict(snakemake.params.experiments),
        snakemake.input.reported, snakemake.params.provenance["scale"],
        snakemake.params.provenance["config_hash"])
    io.write_text(snakemake.output.md, tables.render_markdown(table, spec, stamp))
    artifacts.write_csv(table, stamp, snakemake.output.csv)
'''


def test_a_new_artifact_kind_needs_no_rule_of_its_own(tmp_path):
    workdir, env = _extended_workflow(
        tmp_path,
        {
            "src/advrepro/reporting/kinds.py": NEW_KIND,
            "workflow/scripts/short_table.py": NEW_KIND_SCRIPT,
        },
        """
        artifacts:
          short_mnist:
            paper: ours
            item: short_mnist
            kind: short_table
            title: "MNIST, MCT under PGD (a contributor's kind)"
            experiment: mnist
            methods: [AT]
            columns:
              - {label: PGD, attack: pgd40}
        """,
    )
    target = "paper_figures/ours/short_mnist.md"
    result = _snakemake(workdir, env, target)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "rule short_table:" in result.stdout + result.stderr
    text = (workdir / target).read_text()
    assert "MNIST, MCT under PGD" in text and "PGD" in text
    assert (workdir / "paper_figures/ours/short_mnist.csv").is_file()
    assert not (workdir / "paper_figures/ours/short_mnist.tex").exists()


MI_FGSM = '''
"""MI-FGSM (Dong et al. 2018): iterative FGSM on an accumulated, L1-normalised gradient
(a contributor's attack, tests/test_extending.py)."""

import torch
import torch.nn.functional as F

from advrepro.attacks import ATTACKS, Attack
from advrepro.options import Count, NonNegative, Positive


@ATTACKS.register("mifgsm")
class MomentumIterativeFGSM(Attack):
    norm = "linf"

    def __init__(
        self, model, eps: Positive, alpha: Positive, steps: Count, decay: NonNegative = 1.0,
        restarts: Count = 1,
    ):
        super().__init__(model, eps=eps, restarts=restarts, alpha=alpha, steps=steps, decay=decay)

    def generate(self, x, y):
        x_adv, momentum = x.clone(), torch.zeros_like(x)
        for _ in range(self.params["steps"]):
            x_adv.requires_grad_(True)
            (grad,) = torch.autograd.grad(F.cross_entropy(self.model(x_adv), y), x_adv)
            grad = grad / grad.abs().flatten(1).sum(1).clamp_min(1e-12).view(-1, 1, 1, 1)
            momentum = self.params["decay"] * momentum + grad
            step = x_adv.detach() + self.params["alpha"] * momentum.sign()
            x_adv = (x + (step - x).clamp(-self.eps, self.eps)).clamp(0, 1)
        return x_adv.detach()
'''


def test_a_new_attack_is_a_new_table_column_at_each_scale_s_limits(tmp_path):
    """MI-FGSM as a column of MCT Table 1: its file, an entry in each experiment the table
    draws on and the column, all in config/config.yaml (docs/architecture.md); no test, demo
    or CI override is edited, and CI's tiny run plans it within the tiny scale's limits."""
    import subprocess
    import sys

    import yaml

    workdir, env = _extended_workflow(tmp_path, {"src/advrepro/attacks/mifgsm.py": MI_FGSM}, "{}\n")
    paper = workdir / "config/config.yaml"
    text = paper.read_text()
    attack = "      pgd100_r20: {class: pgd, params: {eps: 0.3, alpha: 0.01, steps: 100, restarts: 20}}\n"
    assert text.count(attack) == 2  # the mnist and mnist_mao experiments
    text = text.replace(
        attack,
        attack + "      mifgsm: {class: mifgsm, params: {eps: 0.3, alpha: 0.01, steps: 40}}\n",
    )
    column = "      - {label: PGD_100, attack: pgd100, reported: {attack: pgd, steps: 100, restarts: 1}}\n"
    assert text.count(column) == 1
    paper.write_text(text.replace(column, column + "      - {label: MI-FGSM_40, attack: mifgsm}\n"))

    planned = subprocess.run(
        [sys.executable, "-m", "advrepro.plan", "--configfile", "config/config.yaml",
         "config/demo.yaml", ".test/config.yaml", "--experiment", "mnist"],
        cwd=workdir, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    params = yaml.safe_load(planned.stdout)["mnist"]["attacks"]["mifgsm"]["params"]
    # the tiny scale's cap on steps, the step size raised so that the budget stays reachable
    assert params["steps"] == 10 and params["alpha"] == pytest.approx(2.5 * 0.3 / 10)

    target = "paper_figures/mct/table1.csv"
    result = _snakemake(workdir, env, target)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    import pandas as pd

    table = pd.read_csv(workdir / target)
    cells = table[table.column == "MI-FGSM_40"].set_index("row")
    assert cells.loc["MCT", "status"] == "ok" and 0 <= cells.loc["MCT", "ours_mean"] <= 100
    record = json.loads((workdir / "results/mnist/records/MCT/seed0/mifgsm.json").read_text())
    assert record["params"]["steps"] == 10 and record["params"]["decay"] == 1.0
