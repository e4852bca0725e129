"""bench/adapt.py's reports: each run's table of rounds, and for several seeds their mean with each
ranking minus random. Plain dicts in (adapt.py's JSON output), Markdown out."""
from __future__ import annotations

STRATEGIES = ("least-confident", "spot-check", "random")  # the first two are storage.documents.queue orders


def improved(runs: list[dict]) -> bool:
    """The exit status's question: did every strategy of every run end above its start?"""
    return all(outcome["rounds"][-1]["heldout"] > outcome["rounds"][0]["heldout"]
               for results in runs for outcome in results["strategies"].values())


def _seed(results: dict) -> int:
    return results.get("seed", results["args"]["seed"])  # outputs from before --seed took several keep it in args


def full_report(runs: list[dict]) -> str:
    """Each run's report, then (for several) their mean."""
    parts = [(f"seed {_seed(results)}:\n" if len(runs) > 1 else "") + report(results)
             for results in runs]
    if len(runs) > 1:
        parts.append(mean_report(runs))
    return "\n\n".join(parts)


def mean_report(runs: list[dict]) -> str:
    """Held-out F1 by corrections, averaged over the runs, and each ranking minus random."""
    from statistics import mean, stdev

    seeds = [_seed(results) for results in runs]
    strategies = [name for name in STRATEGIES if all(name in results["strategies"] for results in runs)]
    rounds = min((len(results["strategies"][name]["rounds"]) for results in runs for name in strategies), default=0)
    counts = [row["corrections"] for row in runs[0]["strategies"][strategies[0]]["rounds"][:rounds]]
    lines = [f"Mean over {len(runs)} seeds ({', '.join(map(str, seeds))}): held-out F1 by corrections",
             "| strategy | " + " | ".join(str(count) for count in counts)
             + " | MSRA sample change | mistakes fixed by round |",
             "|---|" + "---|" * (len(counts) + 2)]
    for name in strategies:
        f1s = [mean(100 * results["strategies"][name]["rounds"][i]["heldout"] for results in runs)
               for i in range(len(counts))]
        msra = mean(100 * (results["strategies"][name]["msra_after"] - results["msra_before"]) for results in runs)
        fixed = [[results["strategies"][name]["rounds"][i].get("mistakes_fixed") for results in runs]
                 for i in range(1, len(counts))]
        fixed = " + ".join(f"{mean(each):.0f}" for each in fixed) if all(None not in each for each in fixed) else "—"
        lines.append(f"| {name} | " + " | ".join(f"{f1:.1f}" for f1 in f1s) + f" | {msra:+.1f} | {fixed} |")
    rankings = [name for name in strategies if name != "random"] if "random" in strategies else []
    for name in rankings:
        gaps = [100 * (results["strategies"][name]["rounds"][rounds - 1]["heldout"]
                       - results["strategies"]["random"]["rounds"][rounds - 1]["heldout"]) for results in runs]
        # The same split and the same machine for both: the gap is paired, its standard error is
        # the seeds' spread of gaps, which says whether the mean is more than retraining's noise.
        error = f" ± {stdev(gaps) / len(gaps) ** 0.5:.1f} standard error" if len(gaps) > 1 else ""
        lines.append(f"{name} minus random after {counts[-1]} corrections: {mean(gaps):+.1f}{error} on average ("
                     + ", ".join(f"seed {seed}: {gap:+.1f}" for seed, gap in zip(seeds, gaps)) + ")")
    return "\n".join(lines)


def report(results: dict) -> str:
    lines = ["| strategy | round | corrections | mistakes fixed | held-out F1 | retraining (s) | base mixed back |",
             "|---|---|---|---|---|---|---|"]
    for strategy, outcome in results["strategies"].items():
        for row in outcome["rounds"]:
            seconds = "—" if row["seconds"] is None else f"{row['seconds']:.0f}"
            lines.append(f"| {strategy} | {row['round']} | {row['corrections']} | {_fixed(row)} | "
                         f"{100 * row['heldout']:.1f} | {seconds} | {_mixed_back(row)} |")
    lines.append("")
    for strategy, outcome in results["strategies"].items():
        start, end = outcome["rounds"][0]["heldout"], outcome["rounds"][-1]["heldout"]
        lines.append(f"{strategy}: held-out F1 {100 * start:.1f} -> {100 * end:.1f} ({100 * (end - start):+.1f}); "
                     f"MSRA sample F1 {100 * results['msra_before']:.1f} -> {100 * outcome['msra_after']:.1f} "
                     f"({100 * (outcome['msra_after'] - results['msra_before']):+.1f})")
    return "\n".join(lines)


def _fixed(row: dict) -> str:
    """"31 of 199": the round's corrections fixed 31 of the 199 mistakes in the queue's suggestions
    (— at the start, and in outputs from before the count was kept)."""
    if row.get("mistakes_fixed") is None:
        return "—"
    return f"{row['mistakes_fixed']} of {row['mistakes_waiting']}"


def _mixed_back(row: dict) -> str:
    """"30%": the share of the base in the promoted model, raised from 20% when the forgetting
    guard saw the run forget (— at the start, and in outputs from before the share was kept)."""
    share = row.get("keep_start")
    return "—" if share is None else f"{100 * share:.0f}%"
