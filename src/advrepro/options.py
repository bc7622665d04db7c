"""Types and ranges of the options that attacks and methods take, checked when the config is
validated, before any job runs (``config._cross_check``): a negative budget or a step count of
0.5 is a config error naming its key, not a crash in a job an hour later.

Each class declares its options once, in its constructor's signature: the names, the defaults
and, as annotations, the values each may take::

    def __init__(self, model, eps: Positive, steps: Count = 10, norm: Literal["linf", "l2"] = "linf")

Config validation runs inside Snakemake's process, where importing the classes (and so torch)
would add seconds to every DAG construction, so ``registry.declared_names`` reads the
signatures from the source and ``rule_of`` turns an annotation's text into a JSON-schema rule:
one of the names below, ``Literal[...]`` (one of these values), ``str``, or ``X | None`` (also
null). An option without an annotation is checked by name only.
"""

from __future__ import annotations

import ast
from typing import Annotated

RULES = {
    "Positive": {"type": "number", "exclusiveMinimum": 0},
    "NonNegative": {"type": "number", "minimum": 0},
    "Count": {"type": "integer", "minimum": 1},
    "CountOrZero": {"type": "integer", "minimum": 0},
    "Flag": {"type": "boolean"},
    "Share": {"type": "number", "minimum": 0, "maximum": 1},  # [0, 1]
    "Fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},  # (0, 1]
    "OpenShare": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},  # (0, 1)
    "Rate": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},  # [0, 1)
    "AttackSpec": {"type": "object", "required": ["class"]},  # {class: ..., params: {...}}
    "str": {"type": "string"},
}

# The annotations themselves: plain types at run time, named for the reader (RULES[name]).
Positive = Annotated[float, "Positive"]
NonNegative = Annotated[float, "NonNegative"]
Count = Annotated[int, "Count"]
CountOrZero = Annotated[int, "CountOrZero"]
Flag = Annotated[bool, "Flag"]
Share = Annotated[float, "Share"]
Fraction = Annotated[float, "Fraction"]
OpenShare = Annotated[float, "OpenShare"]
Rate = Annotated[float, "Rate"]
AttackSpec = Annotated[dict, "AttackSpec"]


def rule_of(annotation: str | None) -> dict | None:
    """The JSON-schema rule of an annotation's source text; None for none (or one unknown)."""
    if not annotation:
        return None
    return _rule(ast.parse(annotation, mode="eval").body)


def _rule(node: ast.expr) -> dict | None:
    if isinstance(node, ast.Name):
        return RULES.get(node.id)
    if isinstance(node, ast.Constant) and node.value is None:
        return {"type": "null"}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        rules = [_rule(node.left), _rule(node.right)]
        if None in rules:
            return None
        if {"type": "null"} not in rules:
            return {"anyOf": rules}
        # X | None: X's rule with null allowed (its own messages, not anyOf's)
        other = dict(next(r for r in rules if r != {"type": "null"}))
        if "enum" in other:
            other["enum"] = [*other["enum"], None]
        else:
            other["type"] = [other["type"], "null"]
        return other
    if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "Literal":
        values = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return {"enum": [ast.literal_eval(v) for v in values]}
    return None


def option_problems(declared: dict[str, str | None], options: dict, key: str) -> list[str]:
    """One message per option whose value breaks the rule its class declares (``declared``:
    option -> annotation text, from registry.declared_names), naming its config key."""
    import jsonschema  # only config validation needs it, not the jobs importing the aliases

    problems = []
    for option, value in (options or {}).items():
        rule = rule_of(declared.get(option))
        if rule is None:
            continue
        for error in jsonschema.Draft7Validator(rule).iter_errors(value):
            hint = _number_hint(value) if error.validator == "type" else ""
            problems.append(f"config key '{key}.{option}' is {value!r}: {error.message}{hint}")
    return problems


def _number_hint(value) -> str:
    """'8/255' (a string in YAML): how to write it as the number it means."""
    from fractions import Fraction

    try:
        number = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        return ""
    return f"; YAML reads {value!r} as text: write the number, {float(number):.6g}"


# Options that are sizes of a perturbation (a budget and its step) in the units of the inputs.
BUDGET_OPTIONS = ("eps", "alpha")


def linf_budget_problem(value) -> str | None:
    """What is wrong with ``value`` as an L-inf budget or step, or None. Every input here lies
    in [0, 1], so an L-inf perturbation above 1 moves nothing further than 1 does: such a
    value is almost always a budget on the 0-255 scale (8 for 8/255). L2 and L0 budgets are
    sums over the input and may exceed 1 (the masking check's unbounded L2 attack uses 100),
    so only finiteness applies to them, which config validation checks for every number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 1:
        return None
    hint = f"; did you mean {value:g}/255 ({value / 255:.6g})?" if value <= 255 else ""
    return f"is {value:g}: an L-inf perturbation above 1 on [0, 1] inputs{hint}"


def budget_problems(norm: str | None, options: dict, key: str) -> list[str]:
    """One message per budget option (``BUDGET_OPTIONS``) of a class whose distance is
    ``norm`` that cannot be meant (``linf_budget_problem``), naming its config key."""
    if norm != "linf":
        return []
    problems = []
    for option in BUDGET_OPTIONS:
        problem = linf_budget_problem((options or {}).get(option))
        if problem:
            problems.append(f"config key '{key}.{option}' {problem}")
    return problems
