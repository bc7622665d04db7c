"""Beside MCT Fig. 3: how many adversarial flows could not be network flows at all once their
features are scaled back to CICFlowMeter's units (the paper does not ask). Each kept set of
flows (rule evaluate_keeping_adversarial) is checked with advrepro.data.cicids.invalid_flows;
the clean test flows are the baseline (a real flow passes every check)."""

from __future__ import annotations

import pandas as pd

from advrepro.data import cicids
from advrepro.reporting.tables import stamp_lines, standin_banner

ANY = "any check"


def validity_rows(flow_sets: list[dict], scaler: dict, features: list[str]) -> pd.DataFrame:
    """One row per (method, seed, attack, check): the share of that set's flows that fail it."""
    low, span = scaler["low"].numpy(), scaler["span"].numpy()
    rows = []
    for flows in flow_sets:
        raw = cicids.unscale(flows["x"].numpy(), low, span)
        failed = cicids.invalid_flows(raw, features, span)
        failed[ANY] = sum(failed.values()).astype(bool) if failed else raw[:, :0].any(1)
        # an attack that fails returns the flow unchanged: a valid flow, but no adversarial one
        moved = (flows["x"] != flows["x_original"]).flatten(1).any(1).numpy()
        for check, mask in failed.items():
            rows.append(
                {
                    "experiment": flows["experiment"],
                    "method": flows["method"],
                    "seed": flows["seed"],
                    "attack": flows["attack"],
                    "check": check,
                    "flows": len(raw),
                    "invalid": int(mask.sum()),
                    "share": float(mask.mean()) if len(raw) else float("nan"),
                    "changed": float(moved.mean()) if len(raw) else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Mean and std over seeds of each share, in the artifact's method and panel order."""
    labels = {panel["attack"]: panel["label"] for panel in spec["panels"]}
    table = (
        rows.groupby(["method", "attack", "check"], sort=False)
        .agg(
            flows=("flows", "mean"),
            changed=("changed", "mean"),
            share_mean=("share", "mean"),
            share_std=("share", "std"),
            seeds=("seed", "nunique"),
        )
        .reset_index()
    )
    table["panel"] = table.attack.map(labels)
    order = {m: i for i, m in enumerate(spec["methods"])}
    panels = {a: i for i, a in enumerate(labels)}
    return table.sort_values(
        ["method", "attack"],
        key=lambda c: c.map(order if c.name == "method" else panels),
        kind="stable",
    ).reset_index(drop=True)


def _share(row) -> str:
    text = f"{100 * row.share_mean:.1f}"
    return text + (f" ± {100 * row.share_std:.1f}" if row.seeds > 1 else "")


def render_markdown(table: pd.DataFrame, spec: dict, stamp: dict) -> str:
    lines = [f"# {spec.get('title', 'Validity of the adversarial flows')}", ""]
    banner = standin_banner(stamp)
    if banner:
        lines += [f"> {banner.split('. Reported')[0]}.", ""]
    checks = [ANY, *cicids.VALIDITY_CHECKS]
    lines += [
        "Provenance: " + " · ".join(stamp_lines(stamp)),
        "",
        "Share (%) of each set's flows that no real flow could have, once scaled back to "
        "feature units with the training split's min-max scaler (mean ± std over seeds). "
        "The clean panel is the baseline. Changed: share of the flows the attack moved at "
        "all (a failed attack returns the flow itself, which is valid but not adversarial). "
        'Checks: advrepro.data.cicids.invalid_flows; docs/decisions.md, "CIC-IDS2018".',
        "",
        "| Method | Set | Flows | Changed | " + " | ".join(checks) + " |",
        "|---|---|---|---|" + "---|" * len(checks),
    ]
    for (method, panel), group in table.groupby(["method", "panel"], sort=False):
        shares = group.set_index("check")
        lines.append(
            f"| {method} | {panel} | {int(group.flows.iloc[0])} | "
            f"{100 * group.changed.iloc[0]:.1f} | "
            + " | ".join(_share(shares.loc[c]) for c in checks)
            + " |"
        )
    return "\n".join(lines) + "\n"
