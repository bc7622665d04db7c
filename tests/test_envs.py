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
from conftest import REPO
from packaging.requirements import Requirement

spec = importlib.util.spec_from_file_location("update_lock", REPO / "scripts/update-lock.py")
update_lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(update_lock)


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> set[str]:
    lines = (REPO / "requirements.lock").read_text().splitlines()
    return {
        line.split(";")[0].strip() for line in lines if line.strip() and not line.startswith("#")
    }


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
    for package in (
        "torch==2.14.1",
        "torchvision==0.29.1",
        "torchattacks==3.5.1",
        "snakemake==9.27.1",
        "snakemake-storage-plugin-http==0.3.1",
    ):
        assert package in pins


def test_envs_are_the_lock_minus_what_they_do_not_run():
    lock = versions(lock_pins())
    rule, driver = versions(env_pins("torch.yaml")), versions(env_pins("snakemake.yaml"))
    assert set(rule) == set(lock) - {normal(n) for n in update_lock.DRIVER_ONLY}
    assert {k: v for k, v in rule.items() if k != "requests"} == {
        k: v for k, v in lock.items() if k in rule and k != "requests"
    }
    assert driver == {k: v for k, v in lock.items() if k not in update_lock.RULE_ONLY}


@pytest.mark.parametrize("file", ["torch.yaml", "snakemake.yaml"])
def test_each_conda_env_is_consistent_on_its_own(file):
    assert unmet_requirements(env_pins(file)) == []
    if file == "torch.yaml":  # its requests is not the installed one: 2.25.1's own requirements
        pinned = versions(env_pins(file))
        for requirement in (
            "chardet>=3.0.2,<5",
            "idna>=2.5,<3",
            "urllib3>=1.21.1,<1.27",
            "certifi>=2017.4.17",
        ):
            requirement = Requirement(requirement)
            assert pinned[requirement.name] in requirement.specifier


def test_the_lock_has_only_the_known_stale_pin():
    assert unmet_requirements(lock_pins()) == [
        "torchattacks needs requests~=2.25.1 (pinned: 2.34.2)"
    ]
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.stdout.strip() == update_lock.KNOWN_CONFLICT


# --- the CUDA 12.6 variant (advrepro.cuda_builds; make install CUDA=12.6; cuda_build: "12.6") ---
# It cannot be installed on these machines (PyTorch's wheel index is not reachable from them):
# these tests check that its files are what the switch installs and agree with the main lock.


def variant_lines(file: str) -> list[str]:
    return [
        line.strip()
        for line in (REPO / file).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_cu126_lock_is_the_lock_without_the_cuda13_torch_build():
    lock = versions(lock_pins())
    rest = versions(
        {line.split(";")[0].strip() for line in variant_lines("requirements-cu126.lock")}
    )
    dropped = {k for k in lock if update_lock.is_cuda_build(k)}
    assert {"torch", "torchvision", "cuda-toolkit", "nvidia-cudnn-cu13"} <= dropped
    assert rest == {k: v for k, v in lock.items() if k not in dropped}
    assert "triton" in rest  # not CUDA-specific: stays pinned


def test_cu126_torch_file_pins_the_same_release_from_pytorchs_cu126_index():
    from advrepro.cuda_builds import BUILDS

    build, lock = BUILDS["12.6"], versions(lock_pins())
    lines = variant_lines("requirements-cu126-torch.txt")
    assert lines[0] == f"--extra-index-url {build.wheel_index}"
    assert build.wheel_index == "https://download.pytorch.org/whl/cu126"
    assert sorted(lines[1:]) == [
        f"torch=={lock['torch']}+cu126",
        f"torchvision=={lock['torchvision']}+cu126",
    ]


def test_cu126_conda_env_is_the_rule_env_with_the_cu126_torch_build():
    from advrepro.cuda_builds import BUILDS

    env = yaml.safe_load((REPO / "envs" / BUILDS["12.6"].conda_env).read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    options = [p for p in pip if p.startswith("--")]
    assert options == [f"--extra-index-url {BUILDS['12.6'].wheel_index}"]
    rule = versions(env_pins("torch.yaml"))
    variant = versions({p for p in pip if not p.startswith("--")})
    assert variant == {
        k: (v + "+cu126" if k in ("torch", "torchvision") else v)
        for k, v in rule.items()
        if k in ("torch", "torchvision") or not update_lock.is_cuda_build(k)
    }


def test_make_switch_installs_the_variant_and_refuses_unknown_builds(tmp_path):
    def dry(*args):
        return subprocess.run(
            ["make", "-n", "install", f"VENV={tmp_path}/v", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
        )

    default, variant, unknown = dry(), dry("CUDA=12.6"), dry("CUDA=11.8")
    assert "--no-deps -r requirements.lock" in default.stdout
    assert "cu126" not in default.stdout
    assert "--no-deps -r requirements-cu126.lock" in variant.stdout
    assert "pip install --quiet -r requirements-cu126-torch.txt" in variant.stdout
    assert "--no-deps -r requirements.lock" not in variant.stdout
    assert unknown.returncode != 0 and "CUDA=11.8" in unknown.stderr


def test_every_rule_uses_the_configured_build_env_and_the_schema_knows_every_build():
    from advrepro.cuda_builds import BUILDS

    rules = "".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    directives = re.findall(r"^\s+conda:\n\s+(.+)$", rules, flags=re.M)
    assert len(directives) >= 10 and set(directives) == {"TORCH_ENV"}
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert {str(v) for v in schema["properties"]["cuda_build"]["enum"]} == set(BUILDS)
    for build in BUILDS.values():
        assert (REPO / "envs" / build.conda_env).is_file()


def test_driver_advice_names_the_build_that_runs():
    from advrepro.cuda_builds import advice, builds_for_driver

    assert [b.cuda for b in builds_for_driver("590.44.01")] == ["13.0", "12.6"]
    assert [b.cuda for b in builds_for_driver("535.104.05")] == ["12.6"]
    assert builds_for_driver("470.256.02") == []
    assert "make install CUDA=12.6" in advice({"535.104.05"})
    assert "update the driver" in advice({"470.256.02"})
    assert "make install`" in advice({"580.65.06"})
