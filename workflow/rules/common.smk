# Helpers shared by the stage files. Config validation (before any job runs), wildcard
# constraints, and the functions that turn the config into target paths and job parameters.
import sys
import urllib.parse
from pathlib import Path

# The library lives in src/ (pip installs it too). Jobs find it through the symlink
# workflow/scripts/advrepro, because Snakemake puts a script's own folder on sys.path; so a
# job works in a conda env that does not install the library, and on a cluster node.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from advrepro import config as config_checks
from advrepro import paths, plan, runlock
from advrepro.cuda_builds import BUILDS as CUDA_BUILDS
from advrepro.provenance import config_hash
from advrepro.reporting import cells, masking, reported
from advrepro.reporting.kinds import ARTIFACT_KINDS, FIXED_ARTIFACTS, shape_of

# a real run claims the working directory: a second one would delete its locks (advrepro.runlock)
runlock.guard(workflow, WorkflowError)

try:
    config_checks.validate(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
    # the papers' numbers, checked now rather than by a table job after all the compute (a
    # missing file is Snakemake's missing input of the table rules, also before any job)
    if Path(config["reported_results"]).is_file():
        reported.check_reported(config["reported_results"])
except (config_checks.ConfigError, reported.ReportedResultsError) as error:
    raise WorkflowError(str(error)) from None

# the config as the jobs run it (eps sweeps one attack per budget, the masking checks' own
# attacks added; `python -m advrepro.plan` prints it); `config` stays as written
PLAN = config_checks.as_planned(config)
EXPERIMENTS = PLAN["experiments"]
ARTIFACTS = config["artifacts"]
CONFIG_HASH = config_hash(config)
# --use-conda: the rule env of the torch build the config names (advrepro.cuda_builds)
CUDA_BUILD = "{:.1f}".format(float(config["cuda_build"]))
TORCH_ENV = f"../../envs/{CUDA_BUILDS[CUDA_BUILD].conda_env}"
CICIDS = config["data"]["cicids2018"]
CICIDS_FOLDER = Path(CICIDS["folder"]).expanduser()
CICIDS_FETCHED = f"{config['data']['root']}/cicids2018/fetched"
DAY_FILE = r"[A-Za-z]+-\d\d-\d\d-\d{4}_TrafficForML_CICFlowMeter\.csv"


wildcard_constraints:
    experiment="|".join(EXPERIMENTS),
    method="[A-Za-z0-9_]+",
    attack="[A-Za-z0-9_]+",
    seed=r"\d+",
    dataset="[a-z0-9_]+",
    artifact="|".join(ARTIFACTS) or "(?!)",
    paper="mct|dundi|ours",  # paper_figures/ours/: our own artifacts (not in either paper)
    day=DAY_FILE,


def cicids_day_files(wildcards):
    """CIC-IDS2018's day files: the copy in data.cicids2018.folder when there is one (the local
    mirror first), else the one rule fetch_cicids_day fetches."""
    if wildcards.dataset != "cicids2018":
        return []
    return [
        str(CICIDS_FOLDER / day) if (CICIDS_FOLDER / day).is_file() else f"{CICIDS_FETCHED}/{day}"
        for day in CICIDS["days"]
    ]


def cicids_bucket_object(wildcards):
    """The day file in the public bucket (Snakemake storage, provider inferred from the URL:
    the http plugin, anonymous); nothing when downloading is off, so the job explains."""
    if not CICIDS["download"]:
        return []
    return storage(CICIDS["bucket_url"] + urllib.parse.quote(wildcards.day))


def experiments_evaluated(per, saving=None):
    """Wildcard pattern of the experiments whose evaluations run as jobs `per` (evaluation_jobs)
    and, unless None, keep (or not) their adversarial examples."""
    names = [
        n
        for n, e in EXPERIMENTS.items()
        if e["evaluation_jobs"] == per and (saving is None or e["save_adversarial"] == saving)
    ]
    return "|".join(names) or "(?!)"


def attacks_evaluated_alone():
    """Wildcard pattern of the attacks evaluated one job each by rule evaluate; that is every
    attack of a per_attack experiment but the budgets of its eps sweeps (one job per sweep,
    rules evaluate_sweep_*; the config check keeps a budget's id from naming a plain attack)."""
    return (
        "|".join(
            dict.fromkeys(
                attack
                for exp in EXPERIMENTS.values()
                if exp["evaluation_jobs"] == "per_attack"
                for attack, spec in exp["attacks"].items()
                if not spec.get("sweep")
            )
        )
        or "(?!)"
    )


def experiment_evaluations(experiment):
    """The work items of an evaluation_jobs: per_experiment experiment (rule
    evaluate_<experiment>): every model it evaluates under its attacks."""
    return [
        plan.evaluation(PLAN, experiment, method, seed, attacks)
        for method, seed, attacks in plan.evaluated_models(EXPERIMENTS[experiment])
    ]


def experiments_trained(per):
    """Wildcard pattern of the experiments whose models train as jobs `per` (training_jobs)."""
    names = [n for n, e in EXPERIMENTS.items() if e["training_jobs"] == per]
    return "|".join(names) or "(?!)"


def experiment_trainings(experiment):
    """The work items of a training_jobs: per_experiment experiment (rule train_<experiment>)."""
    return [
        plan.training(PLAN, experiment, method, seed)
        for method, seed in plan.experiment_models(PLAN, experiment)
    ]


def model_attacks(experiment, method):
    """The attacks an experiment evaluates on one of its methods (an attack's `methods`, or all)."""
    return plan.model_attacks(EXPERIMENTS[experiment], method)


def dataset_file(experiment):
    return paths.dataset_file(EXPERIMENTS[experiment]["dataset"])


def run_params(experiment, method=None):
    """Everything a training or evaluation job of (experiment, method) depends on."""
    return plan.run_params(PLAN, experiment, method)


def attack_spec(experiment, attack):
    return plan.attack_spec(PLAN, experiment, attack)


def transfer_set_of(experiment, attack, seed):
    """The transfer set an evaluation of a seed-`seed` model replays; None for a white-box attack."""
    return plan.transfer_set_of(PLAN, experiment, attack, seed)


def transfer_set_input(wildcards):
    """The transfer set an evaluation replays; none for a white-box attack."""
    return transfer_set_of(wildcards.experiment, wildcards.attack, wildcards.seed) or []


def group_evaluations(group, wildcards):
    """The work item of an AttackGroup's job (rules evaluate_model_*, evaluate_sweep_*): its
    model, {method} where the group's is a wildcard, and {seed}."""
    method = group.method or wildcards.method
    return [plan.evaluation(PLAN, group.experiment, method, wildcards.seed, group.attacks)]


def group_transfer_set_files(group, wildcards):
    """The transfer sets of an AttackGroup (its rule's input), without duplicates."""
    sets = plan.transfer_sets_of(PLAN, group.experiment, group.attacks, wildcards.seed)
    return list(dict.fromkeys(sets.values()))


def source_crafts(experiment, source, source_seed, crafted, wildcards):
    """The work item of a per-source crafting job: the source model of a fixed seed (MCT's
    seed-100 standard model) or of the targets' {seed} (DunDi's native model)."""
    seed = wildcards.seed if source_seed is None else source_seed
    return [plan.crafting(PLAN, experiment, source, seed, crafted)]


def init_model_file(wildcards):
    """The trained model a method starts from (option init_from), e.g. DunDi_P's native
    model; none for a method trained from scratch."""
    training = plan.training(PLAN, wildcards.experiment, wildcards.method, wildcards.seed)
    return training["init_model"] or []


def panel_members(spec):
    """(method, seed, attack) of MCT Fig. 3-like artifacts: each model of the experiment under
    each panel's attack, where the config evaluates that pair."""
    exp = EXPERIMENTS[spec["experiment"]]
    return [
        (method, seed, panel["attack"])
        for method in spec["methods"]
        for panel in spec["panels"]
        for seed in exp["seeds"]
        if plan.attack_applies(exp, method, panel["attack"])
    ]


def artifact_flow_sets(artifact):
    """The kept adversarial examples a flow_validity table checks."""
    spec = ARTIFACTS[artifact]
    return [paths.adversarial_file(spec["experiment"], *member) for member in panel_members(spec)]


def artifact_records(artifact):
    """Every evaluation record an artifact is built from (only (model, attack) pairs the config
    evaluates: a disabled or method-limited attack shows as "not evaluated")."""
    spec = ARTIFACTS[artifact]
    shape = shape_of(spec)
    if shape == "retrieval":
        return []
    if shape == "panels":
        return [paths.record_file(spec["experiment"], *member) for member in panel_members(spec)]
    needed = (masking if shape == "checks" else cells).required_records(spec, EXPERIMENTS)
    return [paths.record_file(*key) for key in needed]


def masking_artifacts():
    """The config's masking artifacts (kind masking), by id."""
    return [name for name, spec in ARTIFACTS.items() if shape_of(spec) == "checks"]


def checks_of_experiment(artifact, experiment):
    """A masking artifact's spec cut to one experiment's checks (rule masking_checks)."""
    spec = ARTIFACTS[artifact]
    return {**spec, "checks": {experiment: spec["checks"][experiment]}}


def masking_check_records(artifact, experiment):
    """The records one experiment's masking checks read (rule masking_checks)."""
    needed = masking.required_records(checks_of_experiment(artifact, experiment), EXPERIMENTS)
    return [paths.record_file(*key) for key in needed]


def own_check_files(artifact):
    """A masking artifact's check results, one file per experiment, in its checks' order."""
    return [paths.masking_checks_file(artifact, name) for name in ARTIFACTS[artifact]["checks"]]


def masking_check_files(artifact):
    """The check results of every masking artifact on this artifact's experiments: a table
    marks the rows of a flagged model without waiting for other experiments' checks."""
    names = {name for name, *_ in config_checks.artifact_members(ARTIFACTS[artifact])}
    return [
        paths.masking_checks_file(masking_artifact, name)
        for masking_artifact in masking_artifacts()
        for name in ARTIFACTS[masking_artifact]["checks"]
        if name in names
    ]


def artifact_experiments(artifact):
    """The experiments an artifact reads (its params: a change elsewhere does not rebuild it)."""
    spec = ARTIFACTS[artifact]
    return {name: EXPERIMENTS[name] for name, *_ in config_checks.artifact_members(spec)}


def neighbour_files(artifact):
    """MCT Fig. 2's per-model retrieval results (rule neighbours)."""
    return [paths.neighbours_file(artifact, method) for method in ARTIFACTS[artifact]["methods"]]


def artifact_outputs(artifact):
    spec = ARTIFACTS[artifact]
    return [
        paths.artifact_file(spec["paper"], spec["item"], suffix)
        for suffix in ARTIFACT_KINDS[spec["kind"]].outputs
    ]


# What each input name of an artifact kind (advrepro.reporting.kinds.INPUTS) is, per artifact.
ARTIFACT_INPUTS = {
    "records": artifact_records,
    "reported": lambda artifact: config["reported_results"],
    "masking": masking_check_files,
    "checks": own_check_files,
    "neighbours": neighbour_files,
    "flows": artifact_flow_sets,
    "data": lambda artifact: dataset_file(ARTIFACTS[artifact]["experiment"]),
}


def kind_inputs(kind, wildcards):
    """Input function of an artifact kind's rule; its named inputs for this target."""
    artifact = artifact_by_target(wildcards)
    return {name: ARTIFACT_INPUTS[name](artifact) for name in ARTIFACT_KINDS[kind].inputs}


def kind_outputs(kind):
    """The rule's named outputs, paper_figures/{paper}/{item}.<suffix>; the report one marked."""
    spec = ARTIFACT_KINDS[kind]
    outputs = {suffix: paths.artifact_file("{paper}", "{item}", suffix) for suffix in spec.outputs}
    in_report = report(
        outputs[spec.report], caption=f"../report/{spec.caption}", category="{paper}"
    )
    return {**outputs, spec.report: in_report}


def artifact_csv(artifact):
    spec = ARTIFACTS[artifact]
    return paths.artifact_file(spec["paper"], spec["item"], "csv")


def items_of_kind(kind):
    """Wildcard constraint: the items of one artifact kind (so the rules never overlap)."""
    items = sorted({spec["item"] for spec in ARTIFACTS.values() if spec["kind"] == kind})
    return "|".join(items) or "(?!)"


def artifact_by_target(wildcards):
    for name, spec in ARTIFACTS.items():
        if (spec["paper"], spec["item"]) == (wildcards.paper, wildcards.item):
            return name
    target = paths.artifact_file(wildcards.paper, wildcards.item, "*")
    raise WorkflowError(f"no artifact {target} in config")


def claim_tables(paper):
    """The CSV of every artifact a paper's claims read, by artifact id."""
    return {
        claim["artifact"]: (
            paths.training_cost_file("csv")
            if claim["artifact"] == "training_cost"
            else artifact_csv(claim["artifact"])
        )
        for claim in config["claims"][paper]
    }


def rule_location(name):
    """'workflow/rules/<file>.smk:<line>' of a rule already defined (the index's first step)."""
    defined = workflow.get_rule(name)
    line = workflow.linemaps[defined.snakefile].get(defined.lineno, defined.lineno)
    return f"{Path(defined.snakefile).relative_to(workflow.basedir)}:{line}"


def index_entries():
    """One entry per artifact: its target, CSV and the code that builds it (its rule and
    where that is defined, script, library function). Evaluated in rule index, after every
    artifact rule is defined."""

    def code(kind):
        spec = {**ARTIFACT_KINDS, **FIXED_ARTIFACTS}[kind]
        return {
            "rule": spec.rule,
            "rule_at": rule_location(spec.rule),
            "script": f"workflow/scripts/{spec.script}",
            "build": spec.build,
            "library": spec.library,
        }

    entries = [
        {
            "title": spec.get("title", name),
            "paper": spec["paper"],
            "kind": spec["kind"],
            "target": artifact_outputs(name)[0],
            "csv": artifact_csv(name),
            **code(spec["kind"]),
        }
        for name, spec in ARTIFACTS.items()
    ]
    entries.append(
        {
            "title": "Training cost per epoch (ours)",
            "paper": "ours",
            "kind": "training_cost",
            "target": paths.training_cost_file("md"),
            "csv": paths.training_cost_file("csv"),
            **code("training_cost"),
        }
    )
    entries += [
        {
            "title": f"{paper.upper()} headline claims",
            "paper": paper,
            "kind": "claims",
            "target": paths.claims_file(paper, "md"),
            "csv": paths.claims_file(paper, "csv"),
            **code("claims"),
        }
        for paper in config["claims"]
    ]
    entries.append(
        {
            "title": "Audit of both papers: contradictions, open settings, our readings",
            "paper": "both",
            "kind": "audit",
            "target": paths.audit_file("md"),
            "csv": paths.audit_file("csv"),
            **code("audit"),
        }
    )
    return entries


def index_inputs():
    return [entry["csv"] for entry in index_entries()]


def gpu_slots(wildcards):
    """The GPU slots of a job whose experiment is a wildcard: {experiment}, or the artifact's
    (rule neighbours)."""
    if hasattr(wildcards, "experiment"):
        experiment = wildcards.experiment
    else:
        experiment = ARTIFACTS[wildcards.artifact]["experiment"]
    return plan.gpu_slots(EXPERIMENTS[experiment])


def job_resources(kind, experiment=None):
    """Scheduler resources of one kind of job (train, evaluate, cpu) from config; `experiment`
    names the experiment of a rule that has no {experiment} wildcard (the per-experiment and
    per-model rules), whose gpu_share then sets its GPU slots."""
    spec = config["resources"][kind]
    resources = {
        "mem_mb": spec["mem_mb"],
        # a job killed at its time limit is resubmitted (retries) with a longer limit
        "runtime": lambda wildcards, attempt: spec["runtime_min"] * attempt,
    }
    if spec["gpus"]:
        resources["gpu"] = spec["gpus"]
        if spec["gpu_model"]:
            resources["gpu_model"] = spec["gpu_model"]
        # on one machine, jobs share a GPU by their experiments' gpu_share (100 slots per GPU)
        resources["gpu_slots"] = (
            gpu_slots if experiment is None else plan.gpu_slots(EXPERIMENTS[experiment])
        )
    cluster = config["cluster"]
    partition = (
        (cluster["gpu_partition"] or cluster["partition"]) if spec["gpus"] else cluster["partition"]
    )
    if partition:
        resources["slurm_partition"] = partition
    if cluster["account"]:
        resources["slurm_account"] = cluster["account"]
    return resources


def experiment_records(experiment):
    """Every evaluation record of an experiment: each attack x the methods it evaluates x seed."""
    exp = EXPERIMENTS[experiment]
    return [
        paths.record_file(experiment, method, seed, attack)
        for method in exp["methods"]
        for attack in model_attacks(experiment, method)
        for seed in exp["seeds"]
    ]


def all_histories():
    """The training history (epoch times) of every model of every experiment."""
    return [
        paths.history_file(experiment, method, seed)
        for experiment, exp in EXPERIMENTS.items()
        for method in exp["methods"]
        for seed in exp["seeds"]
    ]


def all_targets():
    """Every artifact, the training-cost table, and every evaluation record of every experiment
    (each model under each attack of its experiment), so `snakemake` runs the whole config.
    A record an artifact reads is left to that artifact: the same jobs run, and the default
    target does not list again what the artifacts list (Snakemake's dry run pays per input
    file: the paper plan's `all` lists 2,850 files otherwise)."""
    targets = [path for name in ARTIFACTS for path in artifact_outputs(name)]
    targets.append(paths.training_cost_file("md"))
    targets += [paths.claims_file(paper, "md") for paper in config["claims"]]
    targets.append(paths.audit_file("md"))
    targets.append(paths.INDEX_FILE)
    read_by_artifacts = {path for name in ARTIFACTS for path in artifact_records(name)}
    for experiment in EXPERIMENTS:
        targets += [
            path for path in experiment_records(experiment) if path not in read_by_artifacts
        ]
    return targets
