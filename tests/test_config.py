"""Configuration errors are caught before any job runs and name the key."""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from advrepro import config as config_checks
from advrepro.registry import Registry

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


@pytest.fixture
def paper_config():
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


def test_shipped_configs_are_valid(paper_config):
    config_checks.validate(copy.deepcopy(paper_config), SCHEMA)
    for override in ("config/demo.yaml", ".test/config.yaml"):
        assert yaml.safe_load((REPO / override).read_text())


def test_defaults_are_filled(paper_config):
    validated = config_checks.validate(paper_config, SCHEMA)
    assert validated["experiments"]["mnist"]["attacks"]["pgd40"]["threat"] == "whitebox"
    assert validated["data"]["download"] is True


def test_misspelt_key_is_named_with_allowed_keys(paper_config):
    paper_config["experiments"]["mnist"]["train"]["epochz"] = 3
    with pytest.raises(config_checks.ConfigError) as error:
        config_checks.validate(paper_config, SCHEMA)
    message = str(error.value)
    assert "'epochz'" in message and "experiments.mnist.train" in message
    assert "allowed keys:" in message and "epochs" in message


def test_bad_enum_lists_allowed_values(paper_config):
    paper_config["scale"] = "huge"
    with pytest.raises(
        config_checks.ConfigError,
        match="'scale' is 'huge'; allowed values: paper, demo, smoke, test",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_unknown_attack_class_is_named(paper_config):
    paper_config["experiments"]["mnist"]["attacks"]["pgd40"]["class"] = "pgdd"
    with pytest.raises(
        config_checks.ConfigError,
        match=r"experiments.mnist.attacks.pgd40.class.*'pgdd'.*known: .*pgd",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_artifact_column_must_name_an_attack(paper_config):
    paper_config["artifacts"]["mct_table1"]["columns"][0]["attack"] = "nope"
    with pytest.raises(
        config_checks.ConfigError, match=r"artifacts.mct_table1.columns\[0\].attack"
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_snakemake_refuses_a_misspelt_key_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiments:\n  mnist:\n    seedz: [0]\n")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "'seedz'" in output and "experiments.mnist" in output
    assert "Job stats" not in output  # nothing was planned, let alone run


@pytest.mark.parametrize(
    "command_line",
    [[], ["--configfile", "override.yaml", "--config", "scale=cli", "extra=1"]],
)
def test_the_paper_config_is_merged_under_the_command_line_as_snakemake_merges_it(
    tmp_path, command_line
):
    """workflow/rules/config_files.smk takes the paper config from its own strict read
    instead of Snakemake's `configfile:` directive: the config (values and key order, which
    orders artifacts and experiments) is the directive's, under --configfile and --config."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config/config.yaml").write_text(
        "scale: paper\nartifacts:\n  b: {x: 1, y: [1, 2]}\n  a: {x: 2}\nlimits: {}\n"
    )
    (tmp_path / "override.yaml").write_text(
        "artifacts:\n  c: {x: 3}\n  a: {x: 4, z: 5}\nscale: override\n"
    )
    dump = 'from pathlib import Path\nPath("config.json").write_text(__import__("json").dumps(config))\n'
    configs = {}
    for name, head in (
        ("ours", f'include: "{REPO}/workflow/rules/config_files.smk"\n'),
        ("directive", 'configfile: "config/config.yaml"\n'),
    ):
        (tmp_path / "Snakefile").write_text(head + dump)
        done = subprocess.run(
            [sys.executable, "-m", "snakemake", "--list-rules", *command_line],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        configs[name] = (tmp_path / "config.json").read_text()
    assert configs["ours"] == configs["directive"]


def test_a_missing_paper_config_is_named(tmp_path):
    (tmp_path / "Snakefile").write_text(f'include: "{REPO}/workflow/rules/config_files.smk"\n')
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--list-rules"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "config/config.yaml not found" in done.stdout + done.stderr


def test_null_disables_an_entry(paper_config):
    paper_config["artifacts"]["eps_l2_mnist"] = None
    paper_config["experiments"]["dundi_lenet4"]["attacks"]["clean_o10"] = None
    validated = config_checks.validate(paper_config, SCHEMA)
    assert "eps_l2_mnist" not in validated["artifacts"]
    assert "clean_o10" not in validated["experiments"]["dundi_lenet4"]["attacks"]
    assert "clean_o10" in validated["experiments"]["dundi_lenet1"]["attacks"]  # no shared dicts


def test_disabled_experiment_still_named_by_an_artifact_is_an_error(paper_config):
    paper_config["experiments"]["cifar_densenet121"] = None
    with pytest.raises(
        config_checks.ConfigError,
        match=r"'artifacts.mct_table3' names experiment 'cifar_densenet121'",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_a_protocol_entry_naming_no_record_field_is_an_error(paper_config):
    """Protocol entries name record fields (advrepro.records.FIELDS) and settings inside them;
    a misspelt one is refused before any job, not inside a table job after the compute."""
    paper_config["protocol"][0] = {**paper_config["protocol"][0], "setting": "trainig.train.lr"}
    paper_config["protocol"][0].pop("settings", None)
    paper_config["protocol"][0].setdefault("value", 0.1)
    with pytest.raises(
        config_checks.ConfigError,
        match=r"'protocol\[0\]' names 'trainig.train.lr', but an evaluation record has no "
        r"field 'trainig'",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_claim_naming_an_unknown_artifact_is_an_error(paper_config):
    paper_config["claims"]["mct"][0]["artifact"] = "mct_tabel1"
    with pytest.raises(
        config_checks.ConfigError, match=r"'claims.mct\[0\].artifact' is 'mct_tabel1'"
    ):
        config_checks.validate(paper_config, SCHEMA)


@pytest.mark.parametrize(
    ("entry", "key", "value"),
    [
        ("claim", "exclude_column", ["Clean"]),  # misspelt: exclude_columns
        ("claim", "check", "beat"),
        ("claim", "accept", ["better"]),
        ("classifier", "oracles", 10),  # DunDi's setting is n
        ("classifier", "n", 0),
    ],
)
def test_claims_and_classifier_settings_know_every_key(paper_config, entry, key, value):
    """A misspelt or out-of-range key of a claim or of an evaluation's classifier settings
    fails before any job, naming it (it was passed through unchecked)."""
    if entry == "claim":
        paper_config["claims"]["mct"][0][key] = value
        where = r"'claims\.mct\[0\]"  # a list item as the cross-checks name it
    else:
        attack = paper_config["experiments"]["dundi_lenet1"]["attacks"]["clean_o1"]
        attack["classifier"][key] = value
        where = r"experiments\.dundi_lenet1\.attacks\.clean_o1\.classifier"
    with pytest.raises(config_checks.ConfigError, match=where):
        config_checks.validate(paper_config, SCHEMA)


def test_every_config_file_validates_merged_on_the_paper_config():
    """The demo and CI overrides must leave a valid config (a disabled attack that an artifact
    still names is caught here, before any job runs)."""
    layers = ["config/config.yaml", "config/demo.yaml", ".test/config.yaml"]
    for depth in (2, 3):
        config_checks.load_layers([REPO / path for path in layers[:depth]], SCHEMA)


def test_smoke_overlay_keeps_the_paper_settings_and_caps_every_training_job():
    """config/smoke.yaml: paper architectures, methods, batch sizes and attacks; one epoch of at
    most two batches per job (a method's 0 epochs stays 0), one seed, stand-in data."""
    paper = config_checks.load_layers([REPO / "config/config.yaml"], SCHEMA)
    smoke = config_checks.load_layers(
        [REPO / "config/config.yaml", REPO / "config/smoke.yaml"], SCHEMA
    )
    assert smoke["scale"] == "smoke"
    for name, exp in smoke["experiments"].items():
        original = paper["experiments"][name]
        assert exp["architecture"] == original["architecture"]
        assert exp["attacks"] == original["attacks"] and exp["methods"] == original["methods"]
        assert exp["seeds"] == [0] and exp["test_size"] <= original["eval_batch_size"]
        assert exp["dataset"] in ("mnist_10k", "digits32", "cicids_synthetic")
        for method in exp["methods"]:
            settings = config_checks.experiment_settings(smoke, name, method)
            unlimited = config_checks.experiment_settings(paper, name, method)
            assert settings["epochs"] == min(unlimited["epochs"], 1)
            assert settings["max_batches"] == 2 and "max_batches" not in unlimited
            assert settings["batch_size"] == unlimited["batch_size"]


@pytest.mark.parametrize("key, value", [("epochs", 0), ("batches_per_epoch", -1), ("epochs", 1.5)])
def test_bad_limits_are_named(paper_config, key, value):
    paper_config["limits"] = {key: value}
    with pytest.raises(config_checks.ConfigError, match=f"limits.{key}"):
        config_checks.validate(paper_config, SCHEMA)


@pytest.mark.parametrize(
    "path",
    [
        "config/config.yaml",
        "config/demo.yaml",
        "config/smoke.yaml",
        ".test/config.yaml",
        ".test/slurm.yaml",
    ],
)
def test_config_files_use_no_yaml_aliases(path):
    """An alias shares one dict between experiments; Snakemake's override merge then changes all."""
    events = yaml.parse((REPO / path).read_text())
    aliases = [event.anchor for event in events if isinstance(event, yaml.AliasEvent)]
    assert aliases == [], f"{path} uses YAML aliases {aliases}: write the settings out in full"


def test_disabling_what_an_artifact_needs_is_named(paper_config):
    for experiment in ("mnist", "mnist_mao"):  # Table 1's rows come from both
        paper_config["experiments"][experiment]["attacks"]["pgd100"] = None
    with pytest.raises(
        config_checks.ConfigError, match=r"artifacts.mct_table1.columns\[6\].attack"
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_eps_sweep_becomes_one_attack_per_budget_in_the_plan_not_in_the_config(paper_config):
    validated = config_checks.validate(paper_config, SCHEMA)
    # validation leaves the config as written ...
    assert "eps_sweep" in validated["experiments"]["mnist"]["attacks"]["pgd40_sweep"]
    assert "pgd40_effort" not in validated["experiments"]["mnist"]["attacks"]
    # ... the plan is a copy with one attack per budget and the masking checks' own attacks
    attacks = config_checks.as_planned(validated)["experiments"]["mnist"]["attacks"]
    assert "pgd40_sweep" not in attacks and "pgd40_effort" in attacks
    point = attacks["pgd40_sweep_eps0p1"]
    # alpha_per_eps: the step grows with the budget (1/30 of eps: 0.01 at the paper's 0.3)
    assert point["class"] == "pgd" and point["params"]["steps"] == 40
    assert point["params"]["eps"] == 0.1 and abs(point["params"]["alpha"] - 0.1 / 30) < 1e-9
    assert point["sweep"] == {"attack": "pgd40_sweep", "eps": 0.1}
    assert config_checks.sweep_attack_id("pgd20", 8 / 255) == "pgd20_eps0p03137"


def test_a_budget_id_that_names_another_attack_is_refused(paper_config):
    """A sweep budget's id is its record's name and, across experiments, what tells its sweep's
    job (rules evaluate_sweep_*) from a plain attack's (rule evaluate)."""
    attacks = paper_config["experiments"]["mnist"]["attacks"]
    repeated = copy.deepcopy(paper_config)
    repeated["experiments"]["mnist"]["attacks"]["pgd40_sweep"]["eps_sweep"] += [0.1]
    with pytest.raises(
        config_checks.ConfigError,
        match=r"experiments.mnist.attacks.pgd40_sweep.eps_sweep': budget 0.1 has the id "
        "'pgd40_sweep_eps0p1'",
    ):
        config_checks.validate(repeated, SCHEMA)
    cifar = paper_config["experiments"]["cifar"]["attacks"]
    cifar["pgd40_sweep_eps0p1"] = {**attacks["fgsm"]}
    with pytest.raises(
        config_checks.ConfigError,
        match=r"experiments.cifar.attacks.pgd40_sweep_eps0p1' has the id of a budget of an "
        "eps_sweep of experiments.mnist",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_attack_restricted_to_an_unknown_method_is_named(paper_config):
    paper_config["experiments"]["cifar"]["attacks"]["autoattack"]["methods"] = ["MCT", "MTC"]
    with pytest.raises(
        config_checks.ConfigError,
        match=r"experiments.cifar.attacks.autoattack.methods' names 'MTC'",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_flow_validity_needs_the_experiment_to_keep_its_adversarial_flows(paper_config):
    paper_config["experiments"]["cic"]["save_adversarial"] = False
    with pytest.raises(
        config_checks.ConfigError,
        match=r"'experiments.cic.save_adversarial' must be true: 'artifacts.mct_fig3_validity'",
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_transfer_source_of_an_attack_must_be_a_method(paper_config):
    paper_config["experiments"]["dundi_lenet4"]["attacks"]["fgsm_native"]["source"]["method"] = (
        "Nativ"
    )
    with pytest.raises(
        config_checks.ConfigError,
        match=r"dundi_lenet4.attacks.fgsm_native.source.method' names 'Nativ'",
    ):
        config_checks.validate(paper_config, SCHEMA)


@pytest.mark.parametrize("package", sorted(config_checks.REGISTRIES.values()))
def test_declared_names_match_the_imported_registry(package):
    """Config validation reads registry names from the decorators (no torch import at DAG
    time); they must be exactly what importing the package registers."""
    import importlib

    from advrepro.registry import declared_names

    module = importlib.import_module(package)
    registry = next(value for value in vars(module).values() if isinstance(value, Registry))
    declared = declared_names(package)
    assert set(declared) == set(registry.names())
    for name, parameters in declared.items():
        cls = registry.get(name)
        signature = inspect.signature(cls.__init__)
        named = {
            p.name
            for p in signature.parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        } - {"self"}
        if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            # **options: the class lists them in extra_options (or passes any on: None)
            extra = getattr(cls, "extra_options", None)
            assert (parameters and set(parameters)) == (
                None if extra is None else named | set(extra)
            ), name
        else:
            assert set(parameters) == named, name


@pytest.mark.parametrize("package", sorted(config_checks.REGISTRIES.values()))
def test_declared_defaults_are_the_constructors_defaults(package):
    """The defaults read from the source (config validation, derived attacks, reporting and
    the cost estimate ask them) are exactly the literal defaults of the imported classes."""
    import importlib

    from advrepro.registry import declared_defaults

    module = importlib.import_module(package)
    registry = next(value for value in vars(module).values() if isinstance(value, Registry))
    for name, defaults in declared_defaults(package).items():
        signature = inspect.signature(registry.get(name).__init__)
        assert defaults == {
            p.name: p.default
            for p in signature.parameters.values()
            if p.default is not p.empty and p.default.__class__.__module__ == "builtins"
        }, name


def test_schema_defaults_are_what_validation_fills_in(paper_config):
    paper_config = config_checks.validate(paper_config, SCHEMA)
    artifact = next(iter(paper_config["artifacts"].values()))
    defaults = config_checks.schema_defaults("artifacts", "*")
    assert defaults["value_label"] == "Accuracy (%)" and "size" in defaults
    assert all(key in artifact for key in defaults)
    attack = paper_config["experiments"]["mnist"]["attacks"]["fgsm"]
    assert config_checks.schema_defaults("experiments", "*", "attacks", "*") == {
        "threat": "whitebox",
        "params": {},
    }
    assert attack["threat"] == "whitebox"
    masking = next(a for a in paper_config["artifacts"].values() if a["kind"] == "masking")
    check = next(iter(masking["checks"].values()))[0]
    assert set(config_checks.CHECK_DEFAULTS) <= set(check)
    claim = paper_config["claims"]["mct"][0]
    assert claim["accept"] == ["reproduced"] and "exclude_columns" in claim


@pytest.mark.parametrize("package", ["advrepro.attacks", "advrepro.methods"])
def test_every_declared_option_type_is_one_config_validation_knows(package):
    """An annotation config validation cannot read (a typo, a plain float) would leave that
    option unchecked without a word: every option of every attack and method declares a
    known type, and the alias a class imports carries the same rule."""
    from advrepro import options
    from advrepro.registry import declared_names

    for name, parameters in declared_names(package).items():
        for option, annotation in parameters.items():
            if annotation is None:
                assert option == "model", f"{name}.{option} has no type"
                continue
            assert options.rule_of(annotation) is not None, f"{name}.{option}: {annotation}"
    for alias in options.RULES:
        if alias != "str":
            assert getattr(options, alias).__metadata__ == (alias,)


@pytest.mark.parametrize("package", ["advrepro.attacks", "advrepro.methods"])
def test_every_registered_class_declares_its_options(package):
    """A class that passes **options on without listing them would accept any typo."""
    from advrepro.registry import declared_names

    assert all(parameters is not None for parameters in declared_names(package).values())


@pytest.mark.parametrize(
    "where,value,message",
    [
        (
            "attacks.fgsm.params.eps",
            -0.3,
            "is -0.3: -0.3 is less than or equal to the minimum of 0",
        ),
        ("attacks.pgd40.params.steps", 0.5, "is 0.5: 0.5 is not of type 'integer'"),
        ("attacks.pgd40.params.random_start", "yes", "is 'yes': 'yes' is not of type 'boolean'"),
        ("methods.AT.options.eps", -0.3, "is -0.3: -0.3 is less than the minimum of 0"),
        ("methods.TLA.options.distance", "manhattan", "is 'manhattan': 'manhattan' is not one of"),
        ("methods.ALP.options.adv_weight", 1.5, "is 1.5: 1.5 is greater than the maximum of 1"),
    ],
)
def test_out_of_range_options_fail_before_any_job_naming_the_key(
    paper_config, where, value, message
):
    section, entry, field, option = where.split(".")
    paper_config["experiments"]["mnist"][section][entry][field][option] = value
    with pytest.raises(config_checks.ConfigError) as error:
        config_checks.validate(paper_config, SCHEMA)
    assert f"config key 'experiments.mnist.{where}' {message}" in str(error.value)


@pytest.mark.parametrize("cls,entry", [("fgsm", {"epsilon": 0.3}), ("clean", {"eps": 0.3, "x": 1})])
def test_unknown_options_of_every_attack_class_fail(paper_config, cls, entry):
    paper_config["experiments"]["mnist"]["attacks"]["fgsm"] = {"class": cls, "params": entry}
    with pytest.raises(config_checks.ConfigError, match=r"attacks.fgsm.params.(epsilon|x)'"):
        config_checks.validate(paper_config, SCHEMA)


@pytest.mark.parametrize(
    "cls,options", [("standard", {"lr": 0.1}), ("dundi", {"tuples": 10, "oracles": 5})]
)
def test_unknown_options_of_every_method_class_fail(paper_config, cls, options):
    paper_config["experiments"]["mnist"]["methods"]["standard"] = {"class": cls, "options": options}
    with pytest.raises(config_checks.ConfigError, match=r"methods.standard.options.(lr|oracles)'"):
        config_checks.validate(paper_config, SCHEMA)


def test_unknown_method_option_or_attack_parameter_fails_naming_the_key(paper_config):
    paper_config["experiments"]["mnist"]["methods"]["MCT"]["options"]["lamda"] = 0.03
    paper_config["experiments"]["mnist"]["attacks"]["fgsm"]["class"] = "pgd"  # pgd has no 'foo'
    paper_config["experiments"]["mnist"]["attacks"]["fgsm"]["params"]["foo"] = 1
    with pytest.raises(config_checks.ConfigError) as error:
        config_checks.validate(paper_config, SCHEMA)
    assert (
        "config key 'experiments.mnist.methods.MCT.options.lamda': method 'mct' takes no "
        "option 'lamda'"
    ) in str(error.value)
    assert "'experiments.mnist.attacks.fgsm.params.foo'" in str(error.value)
    assert "model" not in str(error.value).split("takes:")[-1]  # filled by build_attack


def test_masking_check_between_sweeps_needs_two_sweeps_sharing_a_budget(paper_config):
    """A stronger check may compare two eps sweeps (AutoAttack-L2 against PGD-L2 at every
    budget both have): a sweep without a common budget, or a plain attack on one side, is a
    config error naming the check."""
    config_checks.validate(copy.deepcopy(paper_config), SCHEMA)  # pgd_l2_sweep vs autoattack_l2
    paper_config["experiments"]["mnist"]["attacks"]["autoattack_l2"]["eps_sweep"] = [8.0]
    with pytest.raises(config_checks.ConfigError, match=r"share no budget"):
        config_checks.validate(copy.deepcopy(paper_config), SCHEMA)
    checks = paper_config["artifacts"]["gradient_masking"]["checks"]["mnist"]
    checks.append({"kind": "stronger", "weaker": "pgd_l2_sweep", "stronger": "pgd40"})
    with pytest.raises(
        config_checks.ConfigError, match=r"checks.mnist\[\d+\].stronger' names 'pgd40', not an eps"
    ):
        config_checks.validate(paper_config, SCHEMA)


def test_a_missing_required_option_fails_validation_naming_the_key(paper_config):
    """PGD's step size has no default: a config without it fails before any job, not inside
    the attack job after training (a sweep's budgets get eps from eps_sweep)."""
    del paper_config["experiments"]["mnist"]["attacks"]["pgd40"]["params"]["alpha"]
    del paper_config["experiments"]["mnist"]["methods"]["AT"]["options"]["steps"]
    with pytest.raises(config_checks.ConfigError) as error:
        config_checks.validate(paper_config, SCHEMA)
    message = str(error.value)
    assert "'experiments.mnist.attacks.pgd40.params' lacks 'alpha'" in message
    assert "'experiments.mnist.methods.AT.options' lacks 'steps'" in message
