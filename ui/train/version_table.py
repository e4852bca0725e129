"""The Train screen's model versions: the table with scores and lineage, a candidate's scores
against the active model on the same sets, and promotion (admins only, asked first if worse)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.scores.evaluation import micro_f1s
from core.model.model import TRAINING_FILE, read_json
from storage import jobs, suggestions
from storage.versions import list_versions, set_active
from ui.access import login
from ui.formats import set_labels
from ui.draw.plain import md
from ui.shared import active_version, model_folder
from ui.train.versions import compare_scores, lineage, lineage_text, promotion_reference, version_label, version_scores


def versions_panel(db) -> None:
    versions = list_versions(db)
    active = active_version(db)
    trainings = {v["id"]: read_json(model_folder(v), TRAINING_FILE) for v in versions}
    job_rows = {v["id"]: jobs.get_job(db, v["job_id"]) if v.get("job_id") else None for v in versions}
    columns = score_columns(versions)
    rows = [{"name": v["name"], "active": bool(v["is_active"]), "created": v["created_at"],
             **{key: value for key, value in lineage(v, trainings[v["id"]], job_rows[v["id"]]).items()
                if key in ("parent", "corrections", "held out")},
             **{f"{columns[v['id'], corpus]} F1 %": round(100 * f1, 1) for corpus, f1 in micro_f1s(version_scores(v)).items()},
             "folder": v["path"]}
            for v in versions]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    by_id = {v["id"]: v for v in versions}
    candidates = [v["id"] for v in versions if v["id"] != active["id"]]
    if not candidates:
        st.caption("Only the active version exists; finished jobs add versions here.")
        return
    if not login.is_admin(db):  # the controls are not drawn, so no click can reach promote()
        st.caption("Only admins make a version the active model.")
        return
    chosen = st.selectbox("Version to use for tagging and correcting", candidates, key="train_promote_pick",
                          format_func=lambda i: version_label(by_id[i]))
    reference = promotion_reference(trainings[chosen], model_folder(active))
    # The active model scored on the candidate's own sets when the job did that, else its saved
    # scores: either way only figures on the same sentences are set side by side.
    _, against = compare_scores(version_scores(by_id[chosen]),
                                reference if reference is not None else version_scores(active))
    st.caption(f"Entity F1 before promotion, against {md(active['name'])} on the same sets: {md(against)}.")
    origin = lineage_text(by_id[chosen], trainings[chosen], job_rows[chosen])
    if origin:
        st.caption(origin)
    note = lineage(by_id[chosen], trainings[chosen], job_rows[chosen])["note"]
    if note:
        st.info(note)
    confirm = st.session_state.get("train_confirm")
    if st.button("Make it the active model", key="train_promote"):
        worse, why = compare_scores(version_scores(by_id[chosen]),
                                    reference if reference is not None else version_scores(active))
        if worse is False:
            promote(db, by_id[chosen], f"{why}.")
        st.session_state["train_confirm"] = confirm = {"id": chosen, "why": why}
    if confirm and confirm["id"] == chosen:
        st.warning(f"{by_id[chosen]['name']} may be worse than the active {active['name']}: {confirm['why']}. "
                   "Make it the active model anyway?")
        yes, no = st.columns(2)
        if yes.button("Yes, make it active", key="train_confirm_yes"):
            promote(db, by_id[chosen], "confirmed")
        if no.button(f"No, keep {active['name']}", key="train_confirm_no"):
            st.session_state.pop("train_confirm", None)
            st.rerun()


def score_columns(versions: list[dict]) -> dict:
    """{(version id, set name): column}: a column per set and size, so a sample's F1 never shares
    a column with the whole set's, and one column for every score on the same sentences."""
    columns = {}
    for corpus in sorted({corpus for v in versions for corpus in micro_f1s(version_scores(v))}):
        scored = [v for v in versions if corpus in micro_f1s(version_scores(v))]
        for v, label in zip(scored, set_labels(corpus, [version_scores(v)[corpus] for v in scored])):
            columns[v["id"], corpus] = label
    return columns


def promote(db, version: dict, why: str) -> None:
    if not login.is_admin(db):  # checked again where it happens: a role may change between runs
        st.error("Only admins make a version the active model.")
        return
    set_active(db, version["id"])
    st.session_state.pop("train_confirm", None)
    message = f"{md(version['name'])} is now the active model ({why})."
    stale = suggestions.stale_count(db, version["name"])
    if stale:
        message += (f" {stale} suggestion(s) in the review queue came from earlier versions: "
                    "**Correct** offers to refresh them with it.")
    st.session_state["train_promoted"] = message
    st.rerun()
