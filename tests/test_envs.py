"""The conda env of the rules pins exactly what requirements.lock pins."""

from __future__ import annotations

import yaml

from conftest import REPO


def lock_pins():
    lines = (REPO / "requirements.lock").read_text().splitlines()
    return {l.split(";")[0].strip() for l in lines if l.strip() and not l.startswith("#")}


def test_lock_pins_every_package_exactly():
    pins = lock_pins()
    assert all("==" in pin for pin in pins)
    for package in ("torch==2.14.1", "torchvision==0.29.1", "torchattacks==3.5.1", "snakemake==9.27.1"):
        assert package in pins


def test_rule_env_matches_lock():
    env = yaml.safe_load((REPO / "envs/torch.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) == lock_pins()
