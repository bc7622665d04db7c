"""Types and ranges of the options that attacks and methods take, checked when the config is
validated, before any job runs (``config._cross_check``): a negative budget or a step count of
0.5 is a config error naming its key, not a crash in a job an hour later.

Which options a class takes is read from its constructor (``registry.declared_names``, without
importing torch); what values an option may take is one rule per option name here, shared by
every class that uses the name. Options without a rule are checked by name only.
"""

from __future__ import annotations

import jsonschema

NON_NEGATIVE = {"type": "number", "minimum": 0}
POSITIVE = {"type": "number", "exclusiveMinimum": 0}
COUNT = {"type": "integer", "minimum": 1}
FLAG = {"type": "boolean"}
SHARE = {"type": "number", "minimum": 0, "maximum": 1}

# Rules of attack parameters (config key experiments.*.attacks.*.params).
ATTACK_RULES = {
    "eps": POSITIVE,
    "alpha": POSITIVE,
    "steps": COUNT,
    "restarts": COUNT,
    "random_start": FLAG,
    "stop_at_misclassification": FLAG,
    "kappa": NON_NEGATIVE,
    "c": POSITIVE,
    "lr": POSITIVE,
    "binary_search_steps": COUNT,
    "max_doubling": {"type": "integer", "minimum": 0},
    "max_halving": {"type": "integer", "minimum": 0},
    "batch_size": COUNT,
    "overshoot": NON_NEGATIVE,
    "gamma": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "theta": POSITIVE,
    "pair_budget": COUNT,
    "norm": {"enum": ["linf", "l2"]},
    "iterations": COUNT,
    "square_queries": COUNT,
    "target_classes": COUNT,
    "max_iter": COUNT,
    "max_eval": COUNT,
    "init_eval": COUNT,
    "init_size": COUNT,
    "query_batch": COUNT,
}

# Rules of method options (config key experiments.*.methods.*.options).
METHOD_RULES = {
    # a PGD step for the adversarial methods, a loss weight for MCT (0 in its ablations)
    "eps": NON_NEGATIVE,
    "alpha": NON_NEGATIVE,
    "steps": COUNT,
    "random_start": FLAG,
    "adv_weight": SHARE,
    "pairing_weight": NON_NEGATIVE,
    "margin": NON_NEGATIVE,
    "triplet_weight": NON_NEGATIVE,
    "norm_weight": NON_NEGATIVE,
    "distance": {"enum": ["abs_cosine", "cosine", "euclidean"]},
    "negative_pool": {"type": "integer", "minimum": 0},
    "label_smoothing": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
    "sigma": NON_NEGATIVE,
    "lam": NON_NEGATIVE,
    "balanced": FLAG,
    "norm_term": {"enum": ["feature_norm", "feature_decay", "pair_distance"]},
    "tuples": COUNT,
    "oracles_per_class": COUNT,
    "m": COUNT,
    "k": COUNT,
    "n": COUNT,
    "embedding_dim": COUNT,
    "hidden_dim": COUNT,
    "tau": POSITIVE,
    "freeze_backbone": FLAG,
    "aggregate": {"enum": ["sum", "min"]},
    "backbone_output": {"enum": ["logits", "embedding"]},
    "init_from": {"type": "string"},
    "fit_examples": COUNT,
    "reference_per_class": COUNT,
    "mc_samples": COUNT,
    "fpr": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "dropout": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
    "bandwidth": {"type": ["number", "null"], "exclusiveMinimum": 0},
    "fit_attack": {"type": "object", "required": ["class"]},
}

RULES = {"attack": ATTACK_RULES, "method": METHOD_RULES}


def option_problems(kind: str, options: dict, key: str) -> list[str]:
    """One message per option whose value breaks its rule, naming its config key."""
    problems = []
    for option, value in (options or {}).items():
        rule = RULES[kind].get(option)
        if rule is None:
            continue
        for error in jsonschema.Draft7Validator(rule).iter_errors(value):
            problems.append(f"config key '{key}.{option}' is {value!r}: {error.message}")
    return problems
