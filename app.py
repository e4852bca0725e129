"""NER Studio: the Streamlit entry point. A router: the shared sidebar, then the chosen page.

Run with `streamlit run app.py`. NER_STUDIO_DB and NER_STUDIO_MODEL point it at another
database and default model (ui/shared.py).
"""
import sqlite3

import streamlit as st

from ui import background_load, errors, shared
from ui.access import annotator, login

# An emoji icon: the browser draws it itself (a :material/...: icon is fetched from fonts.gstatic.com).
st.set_page_config(page_title="NER Studio", page_icon="🏷️", layout="wide")

try:  # a damaged or full database: one line for the visitor, the traceback to the server log
    user = login.current(shared.get_db())
    if user is None:  # a visitor: the login is the only page, whatever address they asked for
        st.navigation([st.Page(login.login_page, title="Log in")]).run()
        st.stop()
    pages = st.navigation([
        st.Page("screens/predict.py", title="Tag", icon=":material/edit_note:", default=True),
        st.Page("screens/correct.py", title="Correct", icon=":material/fact_check:"),
        st.Page("screens/train.py", title="Train", icon=":material/model_training:"),
        st.Page("screens/model.py", title="Model", icon=":material/insights:"),
        st.Page("screens/data.py", title="Data", icon=":material/bar_chart:"),
        st.Page("screens/team.py", title="Team", icon=":material/groups:"),
    ])
    st.sidebar.title("NER Studio")
    with st.sidebar:
        login.sidebar(user)
    shared.draw_sidebar()
    annotator.keep_in_url()
    background_load.start(shared.get_db())
    pages.run()
except sqlite3.DatabaseError as error:
    errors.show(error, "The page cannot be shown")
