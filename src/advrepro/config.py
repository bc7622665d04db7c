"""Configuration checks that run before any job: the JSON schema (every key known, every type
right, defaults filled in) and cross-references the schema cannot express (a method class that
exists, an artifact that names a known experiment, ...). Errors name the key and what is allowed.
"""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from advrepro.records import FIELDS as RECORD_FIELDS
from advrepro.registry import declared_defaults, declared_norms
from advrepro.reporting.kinds import ARTIFACT_KINDS, shape_of


class ConfigError(ValueError):
    """The configuration is invalid; the message names the offending key."""


# libyaml's parser where PyYAML was built with it (its wheels are): the same documents, ~8x
# faster than the pure-Python one, and every `snakemake` start reads the schema.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RepeatedKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first_line: int):
        super().__init__(f"key {key!r} given twice (first at line {first_line})")
        self.line = line


class _StrictLoader(_YAML_LOADER):
    """A key given twice in one mapping is an error: PyYAML keeps the last value silently, so
    a setting someone believes they changed would be overridden further down the file."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first_lines: dict = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in first_lines:
                    raise _RepeatedKey(key, line, first_lines[key])
                first_lines[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> Any:
    """A YAML file, refusing what PyYAML accepts silently: a key given twice, and aliases
    (``*name``), which share one dict between entries (a merged override then changes every
    copy) and can expand without bound (an alias bomb runs out of memory without naming a
    key). Errors name the file, the line and the fix."""
    path = Path(path)
    text = path.read_text()
    try:
        # aliases are found in the event stream, before anything is built from them
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise ConfigError(
                    f"{path}: line {event.start_mark.line + 1}: YAML alias '*{event.anchor}': "
                    "config files may not use aliases (they share one value between entries, "
                    "which a merged override then changes everywhere, and can expand without "
                    "bound); write the value out in full"
                )
        return yaml.load(text, Loader=_StrictLoader)
    except _RepeatedKey as error:
        raise ConfigError(
            f"{path}: line {error.line}: {error}; YAML keeps only the last value: delete one"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        context, started = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and started is not None:
            context = f"{context} that starts at line {started.line + 1}"
        problem = "; ".join(str(p) for p in (context, getattr(error, "problem", None)) if p)
        raise ConfigError(
            f"{path}: {where}not valid YAML ({problem}); fix the syntax there (tabs used "
            "for indentation, an unclosed bracket or quote, or a ':' in an unquoted value "
            "are the usual causes)"
        ) from None


def read_config_file(path: str | Path) -> dict:
    """One config file (``read_yaml``), which must be a mapping of keys; empty: {}."""
    content = read_yaml(path)
    if content is not None and not isinstance(content, dict):
        raise ConfigError(
            f"{path}: a config file is a mapping of keys (scale: ..., experiments: ...), "
            f"not a {type(content).__name__}"
        )
    return content or {}


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = subschema["default"]
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft7Validator)


def _key(path) -> str:
    """A config key as the cross-checks name it too: claims.mct[0].accept."""
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
    return key.lstrip(".") or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        patterns = list(error.schema.get("patternProperties", {}))
        where = f"under '{key}'" if error.absolute_path else "at the top level"
        hint = f"allowed keys: {', '.join(allowed)}" if allowed else f"keys must match {patterns}"
        return f"unknown config key {', '.join(repr(e) for e in extra)} {where}; {hint}"
    if error.validator == "enum":
        return (
            f"config key '{key}' is {error.instance!r}; allowed values: "
            f"{', '.join(dict.fromkeys(map(str, error.validator_value)))}"
        )
    if error.validator == "required":
        return f"config key '{key}' is missing a required entry: {error.message}"
    if error.validator == "uniqueItems":
        repeated = sorted({repr(v) for v in error.instance if error.instance.count(v) > 1})
        return (
            f"config key '{key}' lists {', '.join(repeated)} more than once; each entry "
            "counts once (a seed trains one model, a day file is read once): drop the repeat"
        )
    return f"config key '{key}': {error.message}"


def drop_disabled(config: dict) -> dict:
    """Remove experiments, methods, attacks, artifacts and transfer sources set to null. Config files are merged
    (demo and test overrides on top of the paper config), and a merge cannot delete an entry:
    an override disables one by setting it to null."""
    # anything but a mapping where one belongs (experiments: given as a list) is left for the
    # schema to name, with its key
    for section in ("experiments", "artifacts", "claims"):
        _drop_nulls(config.get(section))
    experiments = config.get("experiments")
    for experiment in experiments.values() if isinstance(experiments, dict) else ():
        if not isinstance(experiment, dict):
            continue
        if "transfer_source" in experiment and experiment["transfer_source"] is None:
            del experiment["transfer_source"]  # e.g. an experiment the demo runs no model of
        for section in ("methods", "attacks"):
            _drop_nulls(experiment.get(section))
    return config


def _drop_nulls(entries: Any) -> None:
    if isinstance(entries, dict):
        for name in [n for n, v in entries.items() if v is None]:
            del entries[name]


def _non_finite_numbers(node: Any, path: tuple = ()) -> list[str]:
    """One message per NaN or infinite number anywhere in the config (YAML's .nan, .inf):
    no setting means one, and the schema's ranges let NaN through (every comparison with it
    is false), so it would fail only inside a job, after training."""
    if isinstance(node, float) and not math.isfinite(node):
        return [f"config key '{_key(path)}' is {node}: give a finite number"]
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return []
    return [problem for k, v in items for problem in _non_finite_numbers(v, (*path, k))]


# The schema every config is validated against: where its defaults are stated, once.
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "workflow/schemas/config.schema.yaml"


@functools.cache
def _schema() -> dict:
    return read_yaml(SCHEMA_FILE)


@functools.cache
def schema_defaults(*keys: str) -> dict[str, Any]:
    """The defaults the schema states for the properties of one kind of entry, the entry named
    by its keys from the top ("*": any entry of an object or an array), e.g.
    ``schema_defaults("artifacts", "*")``: config validation fills them in; code reading an
    entry that skipped validation (a test's, or a record's) takes them from here."""
    schema = _schema()
    node = schema
    for key in keys:
        if key == "*":
            node = node.get("additionalProperties") or node["items"]
        else:
            node = node["properties"][key]
        while "$ref" in node:  # "#/definitions/<name>"
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return {name: spec["default"] for name, spec in node["properties"].items() if "default" in spec}


def validate(config: dict, schema_path: str | Path) -> dict:
    """Drop disabled entries, validate ``config`` in place against the schema (filling
    defaults), then cross-check references between entries, as the jobs will run them (the
    sweeps' budgets and the masking checks' own attacks included, ``as_planned``). The config
    is left as written otherwise: the plan is a copy."""
    if not isinstance(config, dict):
        raise ConfigError(
            f"invalid configuration: a mapping of keys (scale: ..., experiments: ...), not a "
            f"{type(config).__name__}"
        )
    drop_disabled(config)
    schema = read_yaml(schema_path)
    errors = sorted(_Validator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    problems = [_describe(e) for e in errors] + _non_finite_numbers(config)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    problems = _budget_problems(config)  # as written, before sweeps and checks add attacks
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    _cross_check(as_planned(config))
    return config


def as_planned(config: dict) -> dict:
    """The config as the jobs run it, a copy: every eps sweep one attack per budget
    (``expand_sweeps``), every configured attack within the scale's limits (``limit_attacks``),
    every attack a masking check plans added (``expand_failure_checks``).
    What the rules, the cost estimate and the reporting plan from (advrepro.plan.load);
    ``python -m advrepro.plan`` prints it."""
    # limits first: a masking check's more-effort attack doubles the steps its attack runs
    return expand_failure_checks(limit_attacks(expand_sweeps(copy.deepcopy(config))))


def limit_attacks(config: dict) -> dict:
    """Cap, in ``config`` (the planned copy, as_planned), every planned attack's options at the
    config's ``limits.attacks`` (the demo's and CI's scale): an option above its cap, as
    configured or by its class's default (None: the library's standard), is set to the cap;
    capped steps keep the budget reachable (step size at least 2.5 x eps / steps)."""
    caps = ((config.get("limits") or {}).get("attacks")) or {}
    if not caps:
        return config
    for experiment in (config.get("experiments") or {}).values():
        for attack in (experiment.get("attacks") or {}).values():
            in_force = {**ATTACK_OPTION_DEFAULTS.get(attack["class"], {}), **attack["params"]}
            # an option the attack takes, above its cap or None (the library's standard,
            # e.g. AutoAttack's iterations)
            capped = {
                option: cap
                for option, cap in caps.items()
                if option in in_force
                and (in_force[option] is None or isinstance(in_force[option], int))
                and (in_force[option] is None or in_force[option] > cap)
            }
            params = {**attack["params"], **capped}
            if "steps" in capped and params.get("alpha") and params.get("eps"):
                params["alpha"] = max(params["alpha"], 2.5 * params["eps"] / params["steps"])
            attack["params"] = params
    return config


def _budget_problems(config: dict) -> list[str]:
    """The budgets (eps, alpha) of attacks and training methods, and an eps sweep's budgets,
    that their class's distance rules out (``options.budget_problems``: above 1 in L-inf). An
    attack's distance is its ``norm`` option where its class takes one, else its class's."""
    from advrepro.options import budget_problems, linf_budget_problem

    problems = []
    for exp_id, exp in config["experiments"].items():
        base = f"experiments.{exp_id}"
        for method_id, method in exp["methods"].items():
            norm = METHOD_NORMS.get(method["class"])
            key = f"{base}.methods.{method_id}.options"
            problems += budget_problems(norm, method.get("options"), key)
        for attack_id, attack in exp["attacks"].items():
            params = attack.get("params") or {}
            declared = ATTACK_OPTION_DEFAULTS.get(attack["class"]) or {}
            norm = params.get("norm", declared.get("norm", ATTACK_NORMS.get(attack["class"])))
            key = f"{base}.attacks.{attack_id}"
            problems += budget_problems(norm, params, f"{key}.params")
            for i, eps in enumerate(attack.get("eps_sweep") or []):
                problem = linf_budget_problem(eps) if norm == "linf" else None
                if problem:
                    problems.append(f"config key '{key}.eps_sweep[{i}]' {problem}")
    return problems


def sweep_attack_id(attack_id: str, eps: float) -> str:
    """Id of one budget of a swept attack: pgd20 at 0.1 -> pgd20_eps0p1."""
    return f"{attack_id}_eps{eps:.4g}".replace(".", "p").replace("-", "m")


def expand_sweeps(config: dict) -> dict:
    """Replace, in ``config`` (the planned copy, as_planned), each attack with an ``eps_sweep``
    by one attack per budget (accuracy-versus-epsilon curves): the same class and params with
    params.eps set, ids from sweep_attack_id."""
    for exp_id, experiment in (config.get("experiments") or {}).items():
        attacks = experiment.get("attacks") or {}
        for attack_id in [a for a, spec in attacks.items() if spec.get("eps_sweep")]:
            template = attacks.pop(attack_id)
            sweep = template.pop("eps_sweep")
            # a step size that grows with the budget, so every budget is reachable in `steps`
            alpha_per_eps = template.pop("alpha_per_eps", None)
            for eps in sweep:
                params = {**template.get("params", {}), "eps": eps}
                if alpha_per_eps is not None:
                    params["alpha"] = alpha_per_eps * eps
                budget = sweep_attack_id(attack_id, eps)
                if budget in attacks:
                    raise ConfigError(
                        f"config key 'experiments.{exp_id}.attacks.{attack_id}.eps_sweep': "
                        f"budget {eps} has the id '{budget}', which the experiment already has "
                        "(a repeated budget, or an attack of that name)"
                    )
                attacks[budget] = {
                    **template,
                    "params": params,
                    "sweep": {"attack": attack_id, "eps": eps},
                }
    return config


# masking checks that plan their own attack (advrepro.reporting.masking)
DERIVING_CHECKS = ("unbounded", "effort")


def derived_attack_id(check: dict) -> str:
    """Id of the attack a masking check plans: pgd40 + unbounded -> pgd40_unbounded."""
    return f"{check['attack']}_{check['kind']}"


def derived_attack(base: dict, check: dict) -> dict:
    """The attack an ``unbounded`` or ``effort`` check plans from its white-box ``attack``.

    unbounded: the same attack with budget ``eps`` (1.0 by default: the whole [0, 1] box in
    L-inf; give an L2 attack e.g. 100, more than the diagonal of any input here) and a step
    2.5 x eps / steps (Madry et al.'s rule), so the box is reachable; it must succeed on
    (almost) every example. effort: ``steps_factor`` x the steps and ``extra_restarts`` more
    restarts (0 for attacks without a random start). Defaults: the schema's (CHECK_DEFAULTS)."""
    check = {**CHECK_DEFAULTS, **check}  # as validation fills it in (a test's check too)
    params = {**base.get("params", {})}
    if check["kind"] == "unbounded":
        params["eps"] = check["eps"]
        if params.get("steps") and "alpha" in params:
            params["alpha"] = 2.5 * params["eps"] / params["steps"]
    else:
        params["steps"] = params["steps"] * check["steps_factor"]
        # the restarts as configured, else the class's default (an unknown class: the
        # cross-check names it)
        declared = ATTACK_OPTION_DEFAULTS.get(base["class"])
        if check["extra_restarts"] and declared is not None:
            params["restarts"] = {**declared, **params}["restarts"] + check["extra_restarts"]
    return {k: v for k, v in base.items() if k != "sweep"} | {"params": params}


def expand_failure_checks(config: dict) -> dict:
    """Add to ``config`` (the planned copy, as_planned) the attacks that masking checks
    ``unbounded`` and ``effort`` plan (one per check and experiment), so every model of the
    experiment is evaluated under them like under any configured attack (planning, cost
    estimate, records). Problems are the cross-check's."""
    experiments = config.get("experiments") or {}
    for art in (config.get("artifacts") or {}).values():
        if art.get("kind") not in ARTIFACT_KINDS or shape_of(art) != "checks":
            continue
        for name, checks in (art.get("checks") or {}).items():
            attacks = (experiments.get(name) or {}).get("attacks") or {}
            # a report that checks some methods only plans its attacks on those
            checked = (art.get("methods_by_experiment") or {}).get(name)
            for check in checks:
                base = attacks.get(check.get("attack"))
                if check["kind"] in DERIVING_CHECKS and base and _derivable(base, check) is None:
                    derived = derived_attack(base, check)
                    if checked:
                        derived["methods"] = [
                            m for m in derived.get("methods") or checked if m in checked
                        ]
                    attacks.setdefault(derived_attack_id(check), derived)
    return config


def _derivable(base: dict, check: dict) -> str | None:
    """Why ``check`` cannot derive its attack from ``base``, or None."""
    if base.get("threat", ATTACK_ENTRY_DEFAULTS["threat"]) != "whitebox":
        return "is a transfer attack; the check needs a white-box one"
    needed = "eps" if check["kind"] == "unbounded" else "steps"
    if needed not in base.get("params", {}):
        return f"has no params.{needed} to change"
    return None


REGISTRIES = {
    "attack": "advrepro.attacks",
    "method": "advrepro.methods",
    "architecture": "advrepro.models",
}

# Defaults, each stated once: an option's in its class's constructor, a config key's in the
# schema. Validation fills the schema's in; code handed an entry that skipped validation (a
# test's, a record's) reads them here.
ATTACK_OPTION_DEFAULTS = declared_defaults(REGISTRIES["attack"])  # class -> option -> default
# class -> the distance its budgets are measured in (None: none, or chosen by option norm)
ATTACK_NORMS = declared_norms(REGISTRIES["attack"])
METHOD_NORMS = declared_norms(REGISTRIES["method"])
ATTACK_ENTRY_DEFAULTS = schema_defaults("experiments", "*", "attacks", "*")
ARTIFACT_DEFAULTS = schema_defaults("artifacts", "*")
COLUMN_DEFAULTS = schema_defaults("artifacts", "*", "columns", "*")
CHECK_DEFAULTS = schema_defaults("artifacts", "*", "checks", "*", "*")
CLAIM_DEFAULTS = schema_defaults("claims", "*", "*")
# constructor parameters the builders fill themselves: never a config option
BUILDER_ARGUMENTS = {
    "attack": {"model"},
    "method": set(),
    "architecture": {"in_channels", "num_classes", "mean", "std"},
}


def _cross_check(config: dict) -> None:
    """``config``: the plan (as_planned), so a sweep's budgets and a check's own attacks are
    checked as the jobs will run them."""
    from advrepro.options import option_problems
    from advrepro.registry import declared_names, declared_required

    problems = []
    registered = {kind: declared_names(package) for kind, package in REGISTRIES.items()}
    required = {kind: declared_required(package) for kind, package in REGISTRIES.items()}

    def known(kind, name, key, options=None, options_key=None):
        if name not in registered[kind]:
            problems.append(
                f"config key '{key}' names {kind} '{name}'; known: "
                f"{', '.join(sorted(registered[kind]))}"
            )
            return
        parameters = registered[kind][name]  # None: the class passes any option on
        if parameters is not None:
            accepted = set(parameters) - BUILDER_ARGUMENTS[kind]
            for option in sorted(set(options or ()) - accepted):
                problems.append(
                    f"config key '{options_key}.{option}': {kind} '{name}' takes "
                    f"no option '{option}'; it takes: "
                    f"{', '.join(sorted(accepted)) or 'none'}"
                )
            # the values each option may take, as its class's signature declares them
            problems.extend(option_problems(parameters, options, options_key))
        if options_key is not None:  # a missing option fails here, not inside the job
            missing = required[kind][name] - BUILDER_ARGUMENTS[kind] - set(options or ())
            for option in sorted(missing):
                problems.append(
                    f"config key '{options_key}' lacks '{option}', which {kind} '{name}' "
                    "requires (it has no default)"
                )

    experiments = config.get("experiments", {})
    for exp_id, exp in experiments.items():
        base = f"experiments.{exp_id}"
        known("architecture", exp["architecture"], f"{base}.architecture")
        for method_id, method in exp["methods"].items():
            key = f"{base}.methods.{method_id}"
            known(
                "method", method["class"], f"{key}.class", method.get("options"), f"{key}.options"
            )

        # an experiment with every model switched off (the demo's LeNet-4) plans no job: its
        # attacks' references to models it no longer has are not errors
        switched_off = not exp["methods"]

        def check_method(method_id, key, exp=exp, switched_off=switched_off):
            if method_id not in exp["methods"] and not switched_off:
                problems.append(
                    f"config key '{key}' names '{method_id}'; methods of this "
                    f"experiment: {', '.join(exp['methods'])}"
                )

        for attack_id, attack in exp["attacks"].items():
            key = f"{base}.attacks.{attack_id}"
            known("attack", attack["class"], f"{key}.class", attack.get("params"), f"{key}.params")
            if (
                attack.get("threat") == "transfer"
                and not (attack.get("source") or exp.get("transfer_source"))
                and not switched_off
            ):
                problems.append(
                    f"config key '{key}' is a transfer attack but neither its "
                    f"'source' nor '{base}.transfer_source' is set"
                )
            for method_id in attack.get("methods") or []:
                check_method(method_id, f"{key}.methods")
            if attack.get("source"):
                check_method(attack["source"]["method"], f"{key}.source.method")
        for method_id, method in exp["methods"].items():
            init_from = method.get("options", {}).get("init_from")
            if init_from is not None:
                check_method(init_from, f"{base}.methods.{method_id}.options.init_from")
        if exp.get("transfer_source"):
            check_method(exp["transfer_source"]["method"], f"{base}.transfer_source.method")
    _check_sweep_budget_ids(experiments, problems)
    _check_protocol_settings(config, problems)
    _check_artifacts(config, problems)
    _check_claims(config, problems)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def _check_sweep_budget_ids(experiments: dict, problems: list[str]) -> None:
    """A budget of an eps sweep runs in its sweep's job (rules evaluate_sweep_*), a plain
    attack in its own (rule evaluate), and rules tell them apart by the attack id alone: the
    same id may not be a budget in one experiment and a plain attack in another."""
    plain: dict[str, str] = {}
    budgets: dict[str, str] = {}
    for exp_id, exp in experiments.items():
        for attack_id, attack in exp["attacks"].items():
            (budgets if attack.get("sweep") else plain).setdefault(attack_id, exp_id)
    for attack_id in sorted(plain.keys() & budgets.keys()):
        problems.append(
            f"config key 'experiments.{plain[attack_id]}.attacks.{attack_id}' has the id of a "
            f"budget of an eps_sweep of experiments.{budgets[attack_id]}: rename the attack"
        )


def _check_protocol_settings(config: dict, problems: list[str]) -> None:
    """A protocol entry names record fields (advrepro.records.FIELDS) or settings inside one:
    a misspelt field would otherwise fail inside a table job, after all the compute."""
    places = [("protocol", config.get("protocol") or [])]
    for kind in ("experiments", "artifacts"):
        for name, entry in (config.get(kind) or {}).items():
            places.append((f"{kind}.{name}.protocol", (entry or {}).get("protocol") or []))
    for key, entries in places:
        for i, entry in enumerate(entries):
            for setting in entry.get("settings") or [entry.get("setting")]:
                field = str(setting).split(".")[0]
                if field not in RECORD_FIELDS:
                    problems.append(
                        f"config key '{key}[{i}]' names '{setting}', but an evaluation record "
                        f"has no field '{field}' (advrepro.records.FIELDS)"
                    )


RESERVED_ITEMS = {"claims", "training_cost", "index"}


def artifact_members(spec: dict) -> list[tuple[str, str | None]]:
    """(experiment, method) of every row of an artifact (method None: all of a masking
    report's experiment)."""
    if shape_of(spec) == "checks":
        return [(name, None) for name in spec["checks"]]
    if spec.get("rows"):
        return [
            (m["experiment"], m["method"])
            for row in spec["rows"]
            for m in row.get("members")
            or [
                {
                    "experiment": row.get("experiment", spec.get("experiment")),
                    "method": row["method"],
                }
            ]
        ]
    return [
        (name, method)
        for name in spec.get("experiments") or [spec.get("experiment")]
        for method in spec.get("methods", [])
    ]


def _check_artifacts(config: dict, problems: list[str]) -> None:
    experiments = config.get("experiments", {})
    seen = {}
    for art_id, art in config.get("artifacts", {}).items():
        key = f"artifacts.{art_id}"
        if art["kind"] not in ARTIFACT_KINDS:
            problems.append(
                f"config key '{key}.kind' is '{art['kind']}'; kinds "
                f"(advrepro.reporting.kinds): {', '.join(sorted(ARTIFACT_KINDS))}"
            )
            continue
        shape = shape_of(art)
        if art["item"] in RESERVED_ITEMS:
            problems.append(
                f"config key '{key}.item' is '{art['item']}', a name the workflow "
                f"uses itself ({', '.join(sorted(RESERVED_ITEMS))})"
            )
        # one rule per kind builds paper_figures/{paper}/{item}.*, told apart by item: an
        # item names one kind of artifact, and one artifact per paper
        other = seen.get(art["item"])
        if other and (other[1] == art["paper"] or other[2] != art["kind"]):
            problems.append(
                f"config key '{key}.item' is '{art['item']}', also the item of "
                f"'artifacts.{other[0]}' ({other[2]} of {other[1]}); use another"
            )
        seen[art["item"]] = (art_id, art["paper"], art["kind"])
        if art["kind"] == "figure" and not art.get("plot"):
            problems.append(f"config key '{key}.plot' is missing (a figure needs line or bar)")
        if shape in ("panels", "retrieval"):
            _check_one_experiment(art, key, experiments, problems)
            continue
        if shape == "cells" and not art.get("columns"):
            problems.append(f"config key '{key}.columns' is missing")
        members = artifact_members(art)
        if not members:
            problems.append(
                f"config key '{key}' has no rows: give experiment(s) + methods, or rows"
            )
        names = list(dict.fromkeys(name for name, _ in members))
        unknown = [n for n in names if n not in experiments]
        for name in unknown:
            problems.append(
                f"config key '{key}' names experiment '{name}'; experiments: "
                f"{', '.join(experiments)}"
            )
        if unknown:
            continue
        attacks = {a for n in names for a in experiments[n]["attacks"]}
        sweeps = {
            (spec.get("sweep") or {}).get("attack")
            for n in names
            for spec in experiments[n]["attacks"].values()
        }
        for i, column in enumerate(art.get("columns") or []):
            if column.get("sweep"):
                if column["sweep"] not in sweeps:
                    problems.append(
                        f"config key '{key}.columns[{i}].sweep' is "
                        f"'{column['sweep']}', not an eps_sweep of {', '.join(names)}"
                    )
                continue
            ids = column["attack"] if isinstance(column["attack"], list) else [column["attack"]]
            for attack in ids:
                if attack not in attacks:
                    problems.append(
                        f"config key '{key}.columns[{i}].attack' names '{attack}'; "
                        f"attacks of {', '.join(names)}: {', '.join(sorted(attacks))}"
                    )
        for name, checks in (art.get("checks") or {}).items():
            exp = experiments[name]
            swept = {
                spec["sweep"]["attack"] for spec in exp["attacks"].values() if spec.get("sweep")
            }
            for j, check in enumerate(checks):
                if (
                    check["kind"] == "stronger"
                    and {check.get("weaker"), check.get("stronger")} & swept
                ):
                    # two eps sweeps, compared at every budget they share
                    _check_sweep_pair(exp, check, f"{key}.checks.{name}[{j}]", problems)
                    continue
                for field in ("weaker", "stronger", "noise", "attack"):
                    if field in check and check[field] not in exp["attacks"]:
                        problems.append(
                            f"config key '{key}.checks.{name}[{j}].{field}' names "
                            f"'{check[field]}', not an attack of '{name}'"
                        )
                if check["kind"] in DERIVING_CHECKS:
                    if "attack" not in check:
                        problems.append(
                            f"config key '{key}.checks.{name}[{j}].attack' is "
                            f"missing (check kind {check['kind']})"
                        )
                    elif check["attack"] in exp["attacks"]:
                        why = _derivable(exp["attacks"][check["attack"]], check)
                        if why:
                            problems.append(
                                f"config key '{key}.checks.{name}[{j}].attack': "
                                f"'{check['attack']}' {why}"
                            )


def _check_sweep_pair(exp: dict, check: dict, key: str, problems: list[str]) -> None:
    """A ``stronger`` check between eps sweeps: both are sweeps, sharing a budget."""
    budgets = {}
    for field in ("weaker", "stronger"):
        budgets[field] = {
            round(spec["sweep"]["eps"], 9)
            for spec in exp["attacks"].values()
            if (spec.get("sweep") or {}).get("attack") == check[field]
        }
        if not budgets[field]:
            problems.append(
                f"config key '{key}.{field}' names '{check[field]}', not an eps_sweep of this "
                "experiment (a stronger check compares two attacks or two sweeps)"
            )
    if all(budgets.values()) and not budgets["weaker"] & budgets["stronger"]:
        problems.append(
            f"config key '{key}': sweeps '{check['weaker']}' and '{check['stronger']}' share "
            "no budget"
        )


def _check_one_experiment(art: dict, key: str, experiments: dict, problems: list[str]) -> None:
    """MCT Figs. 2 and 3 (kinds neighbours, confusion): one experiment whose models must be
    trained (no "not yet run" in a figure of images or matrices)."""
    exp = experiments.get(art.get("experiment"))
    if exp is None:
        problems.append(
            f"config key '{key}.experiment' is {art.get('experiment')!r}; "
            f"experiments: {', '.join(experiments)}"
        )
        return
    fields = (
        ("attack", "seed", "methods", "classes")
        if shape_of(art) == "retrieval"
        else ("methods", "panels")
    )
    if "flows" in ARTIFACT_KINDS[art["kind"]].inputs and not exp.get("save_adversarial"):
        problems.append(
            f"config key 'experiments.{art['experiment']}.save_adversarial' must be "
            f"true: '{key}' (kind {art['kind']}) reads the kept adversarial examples"
        )
    for field in fields:
        if art.get(field) is None:
            problems.append(f"config key '{key}.{field}' is missing (needed by kind {art['kind']})")
    attacks = [art["attack"]] if art.get("attack") is not None else []
    attacks += [panel["attack"] for panel in art.get("panels") or []]
    for attack in attacks:
        if attack not in exp["attacks"]:
            problems.append(
                f"config key '{key}' names attack '{attack}'; attacks of "
                f"'{art['experiment']}': {', '.join(exp['attacks'])}"
            )
    for method in art.get("methods") or []:
        if method not in exp["methods"]:
            problems.append(
                f"config key '{key}.methods' names '{method}'; methods of "
                f"'{art['experiment']}': {', '.join(exp['methods'])}"
            )
    if art.get("seed") is not None and art["seed"] not in exp["seeds"]:
        problems.append(
            f"config key '{key}.seed' is {art['seed']}; seeds of "
            f"'{art['experiment']}': {exp['seeds']}"
        )


def _check_claims(config: dict, problems: list[str]) -> None:
    """A claim reads an artifact that exists (its check kind is the schema's enum, which a test
    holds equal to advrepro.reporting.claims.CHECKS)."""
    artifacts = config.get("artifacts", {})
    for paper, claims in (config.get("claims") or {}).items():
        for i, claim in enumerate(claims):
            key = f"claims.{paper}[{i}]"
            if claim["artifact"] != "training_cost" and claim["artifact"] not in artifacts:
                problems.append(
                    f"config key '{key}.artifact' is '{claim['artifact']}'; "
                    f"artifacts: training_cost, {', '.join(artifacts)}"
                )


def merge_override(base: dict, override: dict) -> dict:
    """Merge a config file on top of another as Snakemake does for --configfile: nested dicts
    merge key by key, anything else replaces."""
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge_override(base[key], value)
        else:
            base[key] = value
    return base


def load_layers(paths: list[str | Path], schema_path: str | Path) -> dict:
    """The validated config of several files, each merged on top of the ones before."""
    config: dict = {}
    for path in paths:
        merge_override(config, read_config_file(path))
    return validate(config, schema_path)


def experiment_settings(config: dict, experiment: str, method: str) -> dict[str, Any]:
    """Training settings of one (experiment, method): experiment defaults, method overrides."""
    exp = config["experiments"][experiment]
    settings = {**exp["train"], **exp["methods"][method].get("train", {})}
    limits = config.get("limits") or {}
    if limits.get("epochs") is not None:  # the smoke scale's caps (config/smoke.yaml)
        settings["epochs"] = min(settings["epochs"], limits["epochs"])
    if limits.get("batches_per_epoch") is not None:
        settings["max_batches"] = limits["batches_per_epoch"]
    return settings


def transfer_crafting(config: dict, experiment: str, attack: str) -> tuple[str, str, int | None]:
    """(attack id, source method, source seed) of the transfer set a transfer attack replays.

    Transfer attacks that craft the same examples (same class, params, source model and
    attacked rows) share one set, named after the first of them in the config: DunDi's
    oracle-count variants (jsma_native_o1 ...) differ from jsma_native only in the target's
    classifier. Source seed None: the seed of each target.
    """
    exp = config["experiments"][experiment]

    def crafts(spec: dict) -> tuple:
        source = spec.get("source") or exp["transfer_source"]
        return (
            spec["class"],
            spec["params"],
            source["method"],
            source["seed"],
            spec.get("only_classes"),
        )

    wanted = crafts(exp["attacks"][attack])
    first = next(
        a
        for a, spec in exp["attacks"].items()
        if spec["threat"] == "transfer" and crafts(spec) == wanted
    )
    return first, wanted[2], wanted[3]


def main(argv: list[str] | None = None) -> int:
    """``python -m advrepro.config FILE...``: check config files as the workflow does (each
    file's YAML, then the merged config: schema and cross-references), naming file, line and
    key. Snakemake's command line reports a YAML syntax error in a --configfile without saying
    which file; this says which."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m advrepro.config", description=main.__doc__)
    parser.add_argument("files", nargs="+", help="config files, merged in this order")
    args = parser.parse_args(argv)
    try:
        load_layers(args.files, SCHEMA_FILE)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"valid: {' + '.join(args.files)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
