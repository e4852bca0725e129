"""Model: what a version learned (CRF transitions), how it trained (curves), where it errs
(tag confusion, per-type scores), how it compares with another version, and the ablation studies."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from core.scores.evaluation import (SAMPLE_SIZE, comparable_sets, evaluate_sample, folder_stamp, micro_f1s, sample_sentences,
                             saved_confusion)
from core.training.experiment import STUDIES
from core.model.model import TRAINING_FILE, is_model_folder, read_json
from core.model.model_files import crf_parameters
from storage import jobs
from storage.versions import list_versions
from ui.draw import charts
from ui.formats import percent, set_label, set_labels
from core import paths
from ui.shared import ROOT, active_version, data_dir, get_db, load_tagger, model_folder
from ui.train.versions import lineage_text, version_curves, version_label, version_scores

VIEWS = ["Transitions", "Training curves", "Scores", "Confusion", "Compare", "Experiments"]


def shown_path(path, base: Path = ROOT) -> str:
    """A path as visitors see it: relative to the studio's folder (or base), never the server's
    absolute path; outside both, its last two parts."""
    path = Path(path)
    for root in (ROOT, base):
        try:
            return str(path.resolve().relative_to(Path(root).resolve()))
        except ValueError:
            continue
    return str(Path(*path.parts[-2:]))


def experiments_root() -> Path:
    """Where `python -m core experiment <study>` writes <study>/results.json (tests: NER_STUDIO_EXPERIMENTS)."""
    return paths.experiments_dir()


@st.cache_data(show_spinner="Tagging the first test sentences of each corpus…", max_entries=16)
def sample_report(folder: str, stamp: float, data_dir: str, per_corpus: int) -> dict:
    """evaluate_sample for one model folder; stamp changes when the folder is rewritten."""
    return evaluate_sample(load_tagger(folder), sample_sentences(data_dir, per_corpus))


def choose_version(versions: list[dict], label: str, key: str, default_id) -> dict:
    ids = [v["id"] for v in versions]
    by_id = {v["id"]: v for v in versions}
    chosen = st.selectbox(label, ids, index=ids.index(default_id) if default_id in ids else 0,
                          format_func=lambda i: version_label(by_id[i]), key=key)
    return by_id[chosen]


@st.cache_data(show_spinner=False, max_entries=32)
def transitions_of(folder: str, stamp: float) -> dict | None:
    return crf_parameters(folder)


def show_transitions(folder: str) -> None:
    crf = transitions_of(folder, folder_stamp(folder))
    if crf is None:
        st.info("This version has a softmax head: it tags each character on its own and learns no transitions.")
        return
    st.plotly_chart(charts.transition_heatmap(crf["transitions"], crf["tags"], start=crf["start"], end=crf["end"]),
                    key="model_transitions")
    st.caption("Outlined: moves BIO forbids (an I_ tag that continues no entity of its type). A well-trained CRF "
               "scores them well below the allowed ones, so Viterbi rarely picks them; the tagger repairs any that "
               "slip through (an orphan I_ starts a new entity).")


def show_curves(version: dict) -> None:
    curves = version_curves(version)
    if not curves:
        st.info("This version has no training curves (curves.json).")
        return
    st.plotly_chart(charts.training_curves({version["name"]: curves}), key="model_curves")
    unmeasured = [str(row.get("epoch")) for row in curves if row.get("dev_f1") is None]
    if unmeasured:
        st.caption(f"No dev F1 for epoch {', '.join(unmeasured)}: trained without a dev set (an improvement is "
                   "judged on the held-out documents and the fixed evaluation set instead), so the curve skips it.")
    best = max(curves, key=lambda row: row.get("dev_f1") or 0)
    if best.get("dev_entities"):
        st.plotly_chart(charts.per_type_scores(best["dev_entities"], f"dev scores at the best epoch ({best['epoch']})"),
                        key="model_dev_scores")


def show_scores(version: dict) -> None:
    scores = version_scores(version)
    if not scores:
        st.info("This version has no scores on the evaluation set; the Confusion view scores it on a sample.")
        return
    for corpus, result in sorted(scores.items()):
        if not isinstance(result, dict) or "entities" not in result:
            continue
        st.plotly_chart(charts.per_type_scores(result["entities"], f"{set_label(corpus, result)}: entity precision, "
                                               f"recall and F1 · token accuracy {percent(result.get('token_accuracy'))}"),
                        key=f"model_scores_{corpus}")


def show_confusion(version: dict, folder: str) -> None:
    scores = version_scores(version)
    confusion = saved_confusion(scores)
    counted_over = " + ".join(set_label(name, result) for name, result in sorted(scores.items())
                              if isinstance(result, dict) and isinstance(result.get("confusion"), dict))
    source = f"{counted_over}, as scored after training (scores.json)"
    report = None
    if confusion is None:
        per_corpus = st.select_slider("Sentences per corpus to tag (more: slower on a CPU)", [50, 100, 200, 300, 500, 1000],
                                      value=SAMPLE_SIZE, key="model_sample_size")
        report = sample_report(folder, folder_stamp(folder), str(data_dir()), per_corpus)
        if not report["corpora"]:
            st.info(f"No prepared test split under {shown_path(data_dir() / 'corpora')} to tag. Build them with: "
                    "python -m core prepare")
            return
        confusion = report["confusion"]
        counted_over = " + ".join(set_label(name, r) for name, r in report["corpora"].items())
        source = f"the first sentences of each test split, {counted_over}; types a corpus does not annotate count as O"
    st.plotly_chart(charts.confusion_heatmap(confusion["counts"], confusion["tags"], counted_over),
                    key="model_confusion")
    st.caption(f"Counted over {source}.")
    for name, result in (report or {}).get("corpora", {}).items():
        st.plotly_chart(charts.per_type_scores(result["entities"], f"{set_label(name, result)}: entity precision, "
                                               f"recall and F1 · token accuracy {percent(result['token_accuracy'])}"),
                        key=f"model_sample_{name}")


def show_compare(version: dict, versions: list[dict]) -> None:
    if len(versions) < 2:
        st.info("Only one version so far: train another on the Train screen to compare.")
        return
    others = [v for v in versions if v["id"] != version["id"]]
    active = next((v for v in others if v.get("is_active")), others[0])
    other = choose_version(others, "Compare with", "model_compare_with", active["id"])
    runs = {v["name"]: version_curves(v) for v in (version, other) if version_curves(v)}
    if runs:
        st.plotly_chart(charts.training_curves(runs), key="model_compare_curves")
    scores = {v["name"]: version_scores(v) for v in (version, other)}
    if any(scores.values()):
        st.plotly_chart(charts.scores_comparison(scores), key="model_compare_scores")
        st.dataframe(pd.DataFrame(comparison_rows(version["name"], scores[version["name"]],
                                                  other["name"], scores[other["name"]])), hide_index=True)
    else:
        st.info("Neither version has scores on the evaluation set.")


def comparison_rows(name: str, mine: dict, other_name: str, theirs: dict) -> list[dict]:
    """A row per evaluation set: both F1s and their difference where both versions were measured on
    the same sentences; where on different ones (a sample and the whole split), the two sets named
    and no difference."""
    f1s, other_f1s = micro_f1s(mine), micro_f1s(theirs)
    same, apart = comparable_sets(mine, theirs)
    rows = []
    for corpus in sorted(set(f1s) | set(other_f1s)):
        labels = set(set_labels(corpus, [scores[corpus] for scores in (mine, theirs) if corpus in scores]))
        if corpus in same:
            difference = f"{100 * (f1s[corpus] - other_f1s[corpus]):+.1f}"
        elif corpus in apart:
            difference = "not comparable: measured on different sets"
        else:
            difference = "only one version was scored on it"
        rows.append({"evaluation set": " vs ".join(sorted(labels)), f"{name} F1": percent(f1s.get(corpus)),
                     f"{other_name} F1": percent(other_f1s.get(corpus)), "difference (F1 points)": difference})
    return rows


def show_experiments() -> None:
    root = experiments_root()
    found = sorted(p.name for p in root.iterdir() if (p / "results.json").exists()) if root.is_dir() else []
    for study in sorted(set(STUDIES) | set(found)):
        st.subheader(f"Study: {study}")
        path = root / study / "results.json"
        try:
            rows = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        except json.JSONDecodeError as error:
            st.error(f"{shown_path(path, root)} is not valid JSON ({error}); rerun: python -m core experiment {study}")
            continue
        if not rows:
            st.info(f"No results yet; run: python -m core experiment {study}")
            continue
        st.plotly_chart(charts.experiment_bars(rows, f"{study}: entity F1 per variant"), key=f"model_study_{study}")
        runs = {str(row.get("variant")): row["curves"] for row in rows if row.get("curves")}
        if runs:
            st.plotly_chart(charts.training_curves(runs), key=f"model_study_curves_{study}")
        table = pd.DataFrame(charts.experiment_table(rows))
        st.dataframe(table.apply(lambda column: column.map(percent) if column.name.endswith("F1") else column),
                     hide_index=True)  # scores as everywhere: percent, one decimal
        table = path.with_name("results.md")
        if table.exists():
            st.caption(f"Table and the command that reproduces it: {shown_path(table, root)}")


st.title("Model")
db = get_db()
active = active_version(db)
versions = list_versions(db)
version = choose_version(versions, "Version", "model_version", active["id"] if active else None)
folder = model_folder(version)
if not is_model_folder(folder):
    st.error(f"The folder of version {version['name']} ({shown_path(folder)}) is missing or incomplete. "
             "Choose another version, or make another one active on the Train screen.")
    st.stop()
st.caption(f"{shown_path(folder)} · created {version.get('created_at', '?')}")
origin = lineage_text(version, read_json(folder, TRAINING_FILE), jobs.get_job(db, version["job_id"]) if version.get("job_id") else None)
if origin:
    st.caption(origin)
view = st.radio("Show", VIEWS, horizontal=True, key="model_view")
if view == "Transitions":
    show_transitions(folder)
elif view == "Training curves":
    show_curves(version)
elif view == "Scores":
    show_scores(version)
elif view == "Confusion":
    show_confusion(version, folder)
elif view == "Compare":
    show_compare(version, versions)
else:
    show_experiments()
