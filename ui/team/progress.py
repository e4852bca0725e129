"""How the team is doing: per-annotator counts, speed and agreement (storage/assignments.py), and
the agreement figures with the documents that disagree most first (core/scores/agreement.py).
Figures only: no annotator's spans are shown here, so everyone may see it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.scores.agreement import rank_by_disagreement, team_agreement
from storage import assignments
from ui import formats


def _figure(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def progress_table(db) -> None:
    rows = assignments.progress(db)
    if not rows:
        st.caption("Nobody has saved anything yet.")
        return
    st.dataframe(pd.DataFrame([{
        "annotator": r["annotator"], "done": r["done"], "waiting": r["waiting"], "assigned": r["assigned"],
        "skipped": r["skipped"], "flagged": r["flagged"], "reviewed": r["reviewed"],
        "documents / hour": "–" if r["per_hour"] is None else f"{r['per_hour']:.1f}",
        "agreement F1": _figure(r["agreement_f1"]), "kappa": _figure(r["kappa"])} for r in rows]),
        hide_index=True, width="stretch", key="team_progress_table")
    st.caption(f"Speed counts the time between a person's saves, each pause up to "
               f"{assignments.IDLE_GAP_S // 60} minutes (a longer one is a break). Agreement: entity F1 and "
               "Cohen's kappa with the others on the documents they shared.")


def agreement_section(db, limit: int = 20) -> None:
    """Per pair and overall, and the documents that disagree most: the Data screen and the Team screen."""
    docs = assignments.team_documents(db)
    result = team_agreement(docs)
    overall = result["overall"]
    if not overall.documents:
        st.caption("No document has two annotators' versions yet: set an overlap of 2 or more (Team screen) "
                   "to measure agreement.")
        return
    cols = st.columns(3)
    cols[0].metric("Entity F1 (exact spans)", _figure(overall.f1))
    cols[1].metric("Cohen's kappa (character tags)", _figure(overall.kappa))
    cols[2].metric("Documents with 2+ versions", f"{overall.documents:,}")
    per_type = overall.per_type
    if per_type:
        st.caption("Per type: " + " · ".join(f"{t} {_figure(f)}" for t, f in per_type.items()))
    st.dataframe(pd.DataFrame([{"pair": f"{a} · {b}", "documents": c.documents, "F1": _figure(c.f1),
                                "kappa": _figure(c.kappa),
                                **{f"F1 {t}": _figure(f) for t, f in c.per_type.items()}}
                               for (a, b), c in result["pairs"].items()]),
                 hide_index=True, width="stretch", key="team_pairs_table")
    ranked = [row for row in rank_by_disagreement(docs) if row["unmatched_spans"] or row["differing_characters"]]
    texts = {doc["id"]: doc["text"] for doc in docs}
    st.markdown(f"**Documents that disagree most** ({len(ranked)} of {overall.documents} differ)")
    if ranked:
        st.dataframe(pd.DataFrame([{"id": r["id"], "spans differing": r["unmatched_spans"],
                                    "characters differing": r["differing_characters"], "F1": _figure(r["f1"]),
                                    "kappa": _figure(r["kappa"]), "annotators": ", ".join(r["annotators"]),
                                    "text": formats.preview(texts[r["id"]], 60)} for r in ranked[:limit]]),
                     hide_index=True, width="stretch", key="team_disagreeing_table")
