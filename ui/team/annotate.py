"""What the Correct screen adds for a team: the guideline one click away, and an annotator's flag,
bad-text mark and span comments on the open document; for a document that needs several
annotators, what its version is and who else is on it (names only: never their spans)."""
from __future__ import annotations

import streamlit as st

from storage import reviews, team, team_versions
from ui.draw.plain import md


def guideline(db) -> None:
    """The guideline (the studio's own, else the bundled one), hard cases included: the Correct
    screen shows it in a scrolling box under its Guideline toggle."""
    guide = team.guidelines(db)
    st.caption(f"The studio's own guideline, by {md(guide['updated_by'])}" if guide["own"] else
               "The bundled guideline (docs/ANNOTATION.md); an admin can write the studio's own on Team.")
    st.markdown(guide["text"])


def team_caption(doc: dict) -> str | None:
    """One line for a document that needs several versions: where it stands for this annotator."""
    if not doc.get("team"):
        return None
    others = [name for name in doc["annotators"]]
    mine = "your version " + (f"(saved {doc['revision_number']} time(s))" if doc["revision"] else "not saved yet")
    return (f"Needs {doc['needs']} annotators' versions · {mine} · saved so far by "
            f"{', '.join(md(n) for n in others) if others else 'nobody'}. You see only your own until it is settled.")


def flag_panel(db, who: str, doc: dict, on_done) -> None:
    """Flag for review with a comment, mark bad text, or comment on a span (by its offsets)."""
    doc_id = doc["id"]
    with st.form(f"team_flag_form_{doc_id}", clear_on_submit=True):
        comment = st.text_input("Comment", key=f"team_flag_comment_{doc_id}",
                                placeholder="what a reviewer should look at, or why the text is bad")
        start_col, end_col = st.columns(2)
        start = start_col.number_input("On characters from (optional)", 0, len(doc["text"]), 0,
                                       key=f"team_comment_start_{doc_id}")
        end = end_col.number_input("to (exclusive; equal to 'from' for the whole document)", 0, len(doc["text"]), 0,
                                   key=f"team_comment_end_{doc_id}")
        flag_col, bad_col, note_col = st.columns(3)
        flagged = flag_col.form_submit_button("Flag for review")
        bad = bad_col.form_submit_button("Bad text: never train it")
        noted = note_col.form_submit_button("Comment only")
    try:
        if flagged:
            reviews.flag(db, doc_id, who, comment)
            on_done("info", f"Flagged document #{doc_id} for review.")
        elif bad:
            reviews.mark_bad_text(db, doc_id, who, comment)
            on_done("info", f"Document #{doc_id} is marked bad text: it left the queue and will not train.")
        elif noted:
            span = [int(start), int(end)] if end > start else None
            reviews.add_comment(db, doc_id, who, comment, span=span)
            on_done("success", "Comment kept; reviewers will see it.")
    except (ValueError, team.Forbidden) as error:
        st.error(f"Not done: {md(error)}")
    mine = reviews.comments_of(db, doc_id, who)
    for c in mine:
        where = f" on {md(doc['text'][c['start']:c['end']])}" if c["start"] is not None else ""
        st.caption(f"💬 {md(c['author'])}{where}: {md(c['body'])}")


def other_versions_note(db, who: str, doc_id: int) -> str | None:
    """For reviewers on the Correct screen: how many versions the document has (they may look on Team)."""
    if not team.can_review(db, who):
        return None
    count = len(team_versions.annotators_of(db, doc_id))
    return f"{count} annotator version(s) of this document; settle them on the Team screen." if count > 1 else None
