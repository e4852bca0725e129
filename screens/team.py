"""Team: how far each annotator has got, how well they agree, the review queue (reviewers and
admins), and the admin's overlap, assignments and guideline."""
from __future__ import annotations

import streamlit as st

from storage import team
from ui import shared
from ui.access import annotator
from ui.draw.plain import md
from ui.team import admin, progress, review

st.title("Team")
db = shared.get_db()
who = annotator.ask("team")
role = team.role_of(db, who)
st.caption(f"Signed in as **{md(who)}** ({role or 'no account'}) · each document needs "
           f"**{team.overlap(db)}** annotator(s) unless its batch says otherwise")

tabs = ["Progress", "Agreement", "Review"] + (["Overlap and assignment", "Guideline"] if role == "admin" else [])
drawn = st.tabs(tabs)
with drawn[0]:
    progress.progress_table(db)
with drawn[1]:
    progress.agreement_section(db)
with drawn[2]:
    review.review_panel(db, who)
if role == "admin":
    with drawn[3]:
        review.show_flash()
        admin.overlap_panel(db, who)
        st.divider()
        admin.assign_panel(db, who)
    with drawn[4]:
        admin.guidelines_panel(db, who)
