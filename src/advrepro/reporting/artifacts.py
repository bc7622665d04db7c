"""What each reporting rule does (tables, figures, checks, the index), as plain functions of
paths and settings; workflow/scripts/<rule>.py calls one of them. Nothing here imports torch
unless an input is a torch file (Fig. 2's neighbours, Fig. 3's flows), so a reporting job
starts in a fraction of a second."""

from __future__ import annotations

import pandas as pd

from advrepro import io, provenance
from advrepro.records import read_record
from advrepro.reporting import cells, masking, reported, tables


def artifact_stamp(
    scale: str,
    config_hash: str,
    experiments: dict[str, dict],
    hardware: list[str],
    sizes: bool = False,
) -> dict:
    """The provenance every artifact states: scale, data, experiments, seeds (and with
    ``sizes`` architecture and example counts), config hash, commit and the ``hardware`` its
    sources (records, histories, result files) name."""
    # the experiments that train models at this scale: one switched off (every method null,
    # e.g. the demo's LeNet-4) ran nothing whose seeds or sizes the artifact could state
    ran = {name: e for name, e in experiments.items() if e.get("methods")} or experiments
    exps = list(ran.values())

    def joined(values):
        return ", ".join(dict.fromkeys(str(v) for v in values))

    stamp = {
        "scale": scale,
        "dataset": joined(e["dataset"] for e in exps),
        "paper_dataset": joined(e["paper_dataset"] for e in exps),
        "experiments": ", ".join(ran),
    }
    if len(ran) < len(experiments):
        stamp["no models at this scale"] = ", ".join(n for n in experiments if n not in ran)
    if sizes:
        stamp["architecture"] = joined(e["architecture"] for e in exps)
    stamp["seeds"] = joined(" ".join(str(s) for s in e["seeds"]) for e in exps)
    if sizes:
        stamp["train examples"] = joined(e.get("train_size") or "all" for e in exps)
        stamp["test examples"] = joined(e.get("test_size") or "all" for e in exps)
    return {
        **stamp,
        "config hash": config_hash,
        "commit": provenance.git_commit(),
        "hardware": "; ".join(sorted(set(hardware))) or "n/a",
    }


def write_csv(table: pd.DataFrame, stamp: dict, out_csv: str) -> None:
    """Tidy CSV with the provenance stamp on every row (so a copied CSV keeps it)."""
    columns = {k.replace(" ", "_"): str(v) for k, v in stamp.items()}
    with io.atomic_path(out_csv) as tmp:  # a per-row column (hardware) wins over the stamp's
        table.assign(**{k: v for k, v in columns.items() if k not in table.columns}).to_csv(
            tmp, index=False
        )


def artifact_cells(
    record_paths: list[str],
    spec: dict,
    experiments: dict,
    reported_csv: str,
    scale: str,
    config_hash: str,
    protocol: list[dict] = (),
):
    """The cell table of one artifact and its provenance stamp, from its records only
    (``protocol``: the config's shared protocol entries, cells.build_cells)."""
    records = [read_record(path) for path in record_paths]
    table = cells.build_cells(
        records, spec, experiments, reported.load_reported(reported_csv), protocol
    )
    names = cells.experiments_of(spec, experiments)
    stamp = artifact_stamp(
        scale,
        config_hash,
        {n: experiments[n] for n in names},
        [r.hardware for r in records],
        sizes=True,
    )
    return table, stamp


def table_artifact(
    record_paths: list[str],
    spec: dict,
    experiments: dict,
    reported_csv: str,
    scale: str,
    config_hash: str,
    out_md: str,
    out_csv: str,
    out_tex: str,
    check_paths: list[str] = (),
    protocol: list[dict] = (),
) -> None:
    """One table (rows x columns of accuracies) as Markdown, LaTeX and tidy CSV; rows whose
    numbers come from a model that the masking checks flag carry its flags (``check_paths``:
    the results of the masking checks of the table's experiments, rule masking_checks)."""
    table, stamp = artifact_cells(
        record_paths, spec, experiments, reported_csv, scale, config_hash, protocol
    )
    flags = masking.flags_by_model([masking.read_check_results(p).checks for p in check_paths])
    table = masking.mark_flagged_rows(table, flags)
    io.write_text(out_md, tables.render_markdown(table, spec, stamp))
    io.write_text(out_tex, tables.render_latex(table, spec, stamp))
    write_csv(table, stamp, out_csv)


def figure_artifact(
    record_paths: list[str],
    spec: dict,
    experiments: dict,
    reported_csv: str,
    scale: str,
    config_hash: str,
    out_png: str,
    out_pdf: str,
    out_csv: str,
    protocol: list[dict] = (),
) -> None:
    """One figure (line or grouped bars) as PNG and PDF, with its numbers as tidy CSV."""
    from advrepro.reporting import figures  # matplotlib: only the figure rules pay for it

    table, stamp = artifact_cells(
        record_paths, spec, experiments, reported_csv, scale, config_hash, protocol
    )
    figures.plot(table, spec, stamp, [out_png, out_pdf])
    write_csv(table, stamp, out_csv)


def neighbours_figure(
    paths: list[str], spec: dict, config_hash: str, out_png: str, out_pdf: str, out_csv: str
) -> None:
    """MCT Fig. 2's plot: query and neighbours per model, with precision@k in a CSV."""
    from advrepro.reporting import figures

    results = [io.load_torch(path) for path in paths]
    first = results[0]
    experiment = {
        "dataset": first["dataset"],
        "paper_dataset": first["paper_dataset"],
        "seeds": sorted({r["seed"] for r in results}),
    }
    stamp = artifact_stamp(
        first["scale"],
        config_hash,
        {first.get("experiment", spec.get("experiment", "")): experiment},
        [r["hardware"] for r in results],
    )
    figures.plot_neighbours(results, spec, stamp, [out_png, out_pdf])
    table = pd.DataFrame(
        [
            {
                "method": r["method"],
                "attack": r["attack"],
                "seed": r["seed"],
                "queries": r["queries"],
                "k": r["k"],
                "precision_at_k": r["precision_at_k"],
                "adversarial_accuracy": r["adversarial_accuracy"],
            }
            for r in results
        ]
    )
    write_csv(table, stamp, out_csv)


def confusion_figure(
    record_paths: list[str],
    spec: dict,
    experiments: dict,
    scale: str,
    config_hash: str,
    out_png: str,
    out_pdf: str,
    out_csv: str,
) -> None:
    """MCT Fig. 3: row-normalised confusion matrices per model and attack, from records."""
    from advrepro.reporting import figures

    records = [read_record(path) for path in record_paths]
    table = figures.confusion_table(records, spec)
    stamp = artifact_stamp(
        scale,
        config_hash,
        {spec["experiment"]: experiments[spec["experiment"]]},
        [r.hardware for r in records],
    )
    figures.plot_confusion(table, spec, stamp, [out_png, out_pdf])
    write_csv(table, stamp, out_csv)


def masking_checks(
    record_paths: list[str],
    spec: dict,
    experiments: dict,
    out_json: str,
    limits: dict | None = None,
) -> None:
    """The masking checks of one experiment (``spec``: a masking artifact's, cut to it) on its
    records, at the scale's ``limits`` (the config's); its tables and the masking report read
    the results."""
    records = [read_record(path) for path in record_paths]
    masking.write_check_results(
        out_json, masking.CheckResults.of(records, spec, experiments, limits)
    )


def masking_report(
    check_paths: list[str],
    spec: dict,
    experiments: dict,
    scale: str,
    config_hash: str,
    out_md: str,
    out_csv: str,
) -> None:
    """Gradient-masking checks (pass / flag per model), from the results of rule
    masking_checks of each experiment in ``spec['checks']``, in that order."""
    results = masking.CheckResults.joined([masking.read_check_results(p) for p in check_paths])
    stamp = artifact_stamp(
        scale,
        config_hash,
        {n: experiments[n] for n in spec["checks"]},
        results.hardware,
    )
    io.write_text(out_md, masking.render_markdown(results.checks, spec, stamp, results.indicators))
    write_csv(results.checks, stamp, out_csv)


def claims_report(
    claims: list[dict], artifact_csvs: dict, paper: str, out_md: str, out_csv: str
) -> None:
    """Each headline claim of a paper checked on the artifacts that were built."""
    from advrepro.reporting import claims as claim_checks

    built = {name: pd.read_csv(path) for name, path in artifact_csvs.items()}
    table = claim_checks.evaluate_claims(claims, built)
    io.write_text(out_md, claim_checks.render_markdown(table, paper, built))
    with io.atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)


def paper_audit(
    claim_csvs: list[str],
    reported_csv: str,
    findings: list[dict],
    artifacts: dict,
    experiments: dict,
    protocol: list[dict],
    config_hash: str,
    out_md: str,
    out_csv: str,
) -> None:
    """paper_figures/audit.md: the papers' contradictions and open settings, our readings,
    their assumption ids and the cells they affect (advrepro.reporting.audit)."""
    from advrepro.reporting import audit

    table = reported.load_reported(reported_csv)
    rows = audit.audit_table(
        findings,
        audit.affected_cells(artifacts, experiments, protocol, table),
        [pd.read_csv(path, keep_default_na=False) for path in claim_csvs],
    )
    stamp = {"config hash": config_hash, "commit": provenance.git_commit()}
    io.write_text(out_md, audit.render_markdown(rows, audit.largest_improvements(table), stamp))
    write_csv(rows, stamp, out_csv)


def flow_validity(
    flow_set_paths: list[str],
    data_path: str,
    spec: dict,
    experiments: dict,
    scale: str,
    config_hash: str,
    out_md: str,
    out_csv: str,
) -> None:
    """Beside MCT Fig. 3: the share of adversarial flows that are not valid flows."""
    from advrepro.reporting import flow_validity as validity

    prepared = io.load_torch(data_path)
    flow_sets = [io.load_torch(path) for path in flow_set_paths]
    table = validity.summarise(
        validity.validity_rows(flow_sets, prepared["scaler"], prepared["features"]), spec
    )
    stamp = artifact_stamp(
        scale,
        config_hash,
        {spec["experiment"]: experiments[spec["experiment"]]},
        [s["hardware"] for s in flow_sets],
    )
    io.write_text(out_md, validity.render_markdown(table, spec, stamp))
    write_csv(table, stamp, out_csv)


def artifact_index(entries: list[dict], out_md: str) -> None:
    """paper_figures/index.md: every artifact with its target, rule, script and status."""
    from advrepro.reporting import index

    io.write_text(out_md, index.render(entries, provenance.git_commit()))


def training_cost(
    history_paths: list[str], scale: str, config_hash: str, out_md: str, out_csv: str
) -> None:
    """Training-cost table from every model's history file."""
    histories = [io.read_json(path) for path in history_paths]
    table = tables.training_cost_table(histories)
    experiments: dict[str, dict] = {}
    for h in histories:  # a history carries its run's settings (and its own seed)
        entry = experiments.setdefault(h["experiment"], {**h, "seeds": []})
        entry["seeds"] = sorted({*entry["seeds"], h["seed"]})
    stamp = artifact_stamp(scale, config_hash, experiments, [h["hardware"] for h in histories])
    io.write_text(out_md, tables.render_cost_markdown(table, stamp))
    write_csv(table, stamp, out_csv)
