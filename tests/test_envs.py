"""The pinned install paths agree: requirements.lock (the pip path), the rule env and the driver
env derived from it (scripts/update-lock.py), and each one is consistent on its own: every
package's declared requirements are met by the same file's pins, so conda's pip (which runs the
resolver) can install each env, and the --no-deps lock install misses nothing."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import REPO

spec = importlib.util.spec_from_file_location("update_lock", REPO / "scripts/update-lock.py")
update_lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(update_lock)


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> set[str]:
    lines = (REPO / "requirements.lock").read_text().splitlines()
    return {l.split(";")[0].strip() for l in lines if l.strip() and not l.startswith("#")}


def env_pins(file: str) -> set[str]:
    env = yaml.safe_load((REPO / "envs" / file).read_text())
    return set(next(d["pip"] for d in env["dependencies"] if isinstance(d, dict)))


def versions(pins: set[str]) -> dict[str, str]:
    return {normal(p.split("==")[0]): p.split("==")[1] for p in pins}


def unmet_requirements(pins: set[str]) -> list[str]:
    """Requirements (from the installed packages' metadata) that ``pins`` do not satisfy."""
    pinned, unmet = versions(pins), []
    for package in pinned:
        for text in importlib.metadata.requires(package) or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            have = pinned.get(normal(requirement.name))
            if have is None or have not in requirement.specifier:
                unmet.append(f"{package} needs {requirement} (pinned: {have})")
    return unmet


def test_lock_pins_every_package_exactly():
    pins = lock_pins()
    assert all("==" in pin for pin in pins)
    for package in ("torch==2.14.1", "torchvision==0.29.1", "torchattacks==3.5.1", "snakemake==9.27.1",
                    "snakemake-storage-plugin-http==0.3.1"):
        assert package in pins


def test_envs_are_the_lock_minus_what_they_do_not_run():
    lock = versions(lock_pins())
    rule, driver = versions(env_pins("torch.yaml")), versions(env_pins("snakemake.yaml"))
    assert set(rule) == set(lock) - {normal(n) for n in update_lock.DRIVER_ONLY}
    assert {k: v for k, v in rule.items() if k != "requests"} == {
        k: v for k, v in lock.items() if k in rule and k != "requests"}
    assert driver == {k: v for k, v in lock.items() if k not in update_lock.RULE_ONLY}


@pytest.mark.parametrize("file", ["torch.yaml", "snakemake.yaml"])
def test_each_conda_env_is_consistent_on_its_own(file):
    assert unmet_requirements(env_pins(file)) == []
    if file == "torch.yaml":  # its requests is not the installed one: 2.25.1's own requirements
        pinned = versions(env_pins(file))
        for requirement in ("chardet>=3.0.2,<5", "idna>=2.5,<3", "urllib3>=1.21.1,<1.27", "certifi>=2017.4.17"):
            requirement = Requirement(requirement)
            assert pinned[requirement.name] in requirement.specifier


def test_the_lock_has_only_the_known_stale_pin():
    assert unmet_requirements(lock_pins()) == ["torchattacks needs requests~=2.25.1 (pinned: 2.34.2)"]
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.stdout.strip() == update_lock.KNOWN_CONFLICT
