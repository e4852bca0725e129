"""Train: start a training job (a separate process), watch it live, cancel it, and make a finished
version the model the Tag and Correct screens use. Everything is re-read from SQLite on each poll,
so a restarted app finds its jobs again."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import launcher
from core.training import heldout
from core.data.corpus_files import corpora_root, corpus_folder, split_paths
from core.training.improve import ImproveRecipe, improve_params
from core.model.config import HEADS
from core.training.settings import TrainSettings
from storage import jobs
from storage import snapshots
from storage.documents import reviewed_documents
from ui.train import version_table as train_versions
from ui.draw import charts
from ui.access import login
from ui import roots
from ui.draw.plain import md
from ui.shared import active_version, data_dir, db_path, get_db, model_folder
from ui.train.form import (
    BUNDLED_CHOICES,
    FOLDER_CHOICE,
    build_params,
    corpus_problems,
    count_lines,
    encoder_info,
    suggested_repeat,
)
from ui.train.versions import (
    duration,
    job_progress,
    step_events,
)

POLL_SECONDS = 2
DEFAULTS = TrainSettings()  # the form's defaults are the training run's own


@st.cache_data(show_spinner=False, max_entries=32)
def sentences_in(path: str, stamp: int) -> int:
    return count_lines(path)


def base_sentences(data: list[str], root: Path, train_limit: int) -> int:
    total = 0
    for name in data:
        path = split_paths(name, "train", root)[0]
        if path.exists():
            count = sentences_in(str(path), path.stat().st_mtime_ns)
            total += min(count, train_limit) if train_limit else count
    return total


@st.cache_resource
def gpu_name() -> str | None:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def choose_data(root: Path) -> tuple[list[str], list[str]]:
    """(the --data list, problems that block the start)."""
    choice = st.selectbox("Base corpus", [*BUNDLED_CHOICES, FOLDER_CHOICE], key="train_corpus")
    if choice == FOLDER_CHOICE:
        folder = st.text_input("Corpus folder (train, dev and optionally test as chars/TAG pairs)",
                               key="train_corpus_folder")
        try:  # outside the roots: refused before the folder is looked at, so nothing says if it exists
            return [str(roots.confine(folder))], corpus_problems(roots.confine(folder))
        except roots.OutsideRoots as refused:
            return [folder.strip()], [md(str(refused))]
    data = BUNDLED_CHOICES[choice]
    missing = [name for name in data if corpus_problems(corpus_folder(name, root))]
    return data, [f"corpus {name} is not prepared under {corpora_root(root)}: run python -m core prepare"
                  for name in missing]


def improve_form(db) -> None:
    """The first choice: fine-tune the active model on the reviewed corrections, in minutes."""
    recipe = ImproveRecipe()
    active = active_version(db)
    found = snapshots.counts(db, recipe.heldout_every)
    gpu = gpu_name()
    st.markdown(f"Fine-tunes **{active['name']}** on your reviewed corrections plus a replay sample of "
                f"{recipe.replay_per_corpus:,} sentences of each corpus (so it does not forget), then scores "
                "it on a fixed sample of the evaluation set and on your held-out documents. Your corrections "
                "are repeated with their names swapped among themselves (a company for another company), so "
                "it learns the contexts you annotated, not only the names.")
    st.caption(f"{found['train']} reviewed documents to learn from; {found['heldout']} held out (every "
               f"{recipe.heldout_every}th, by id), never trained on, to judge the new version. "
               "Imported files count once reviewed.")
    if not heldout.enough_to_score(found["heldout"]):
        st.info(f"Only {found['heldout']} held-out document(s): too few to score. The new version will be "
                "judged on the fixed evaluation set alone.")
    budget = st.number_input("Time budget, minutes (training, evaluation and saving)", 0.5, 120.0,
                             value=recipe.gpu_time_budget_min if gpu else recipe.time_budget_min, step=0.5,
                             key="train_improve_budget")
    name = st.text_input("Version name (blank: v<job>-<date>-<time>)", key="train_improve_name")
    if found["train"] == 0:
        st.info("No reviewed corrections yet: correct and save documents on the Correct screen first.")
    if st.button("Improve the active model", type="primary", disabled=found["train"] == 0, key="train_improve"):
        params = {**improve_params(model_folder(active), found["train"], bool(gpu)), "time_budget": float(budget),
                  "parent": active["name"], "data_dir": str(data_dir())}
        if name.strip():
            params["name"] = name.strip()
        launch(params)


def launch(params: dict) -> None:
    try:
        job_id = launcher.start_training(db_path(), params, root=data_dir().parent, user=login.job_owner(get_db()))
    except ValueError as error:
        st.error(f"Could not start: {error}")
        return
    st.session_state["train_job"] = st.session_state["train_job_show"] = job_id  # the jobs panel shows it next
    st.session_state["train_started"] = f"Started job {job_id}."
    st.rerun(scope="app")  # the sidebar shows it at once too


def start_form(db) -> None:
    root = data_dir()
    problems = []
    left, right = st.columns(2)
    with left:
        name = st.text_input("Version name (blank: v<job>-<date>-<time>)", key="train_name")
        data, found = choose_data(root)
        problems += found
        corrections = len(reviewed_documents(db))  # imports not yet reviewed never train
        use_corrections = st.checkbox(f"Add the corrections ({corrections} reviewed documents)", value=corrections > 0,
                                      disabled=corrections == 0, key="train_use_corrections")
        train_limit = st.number_input("Sentences per corpus (0: all; a small number makes a quick run)", 0,
                                      value=0, step=1000, key="train_limit")
        base = base_sentences(data, root, int(train_limit))
        repeat = st.number_input("Repeat each correction", 1, 1000, value=suggested_repeat(corrections, base),
                                 disabled=not use_corrections, key="train_corrections_repeat",
                                 help="Weighs the corrections: by default they make about 10% of the training data.")
        if use_corrections:
            st.caption(f"{corrections} corrections × {repeat} = {corrections * repeat:,} examples beside "
                       f"{base:,} corpus sentences ({corrections * repeat / max(base + corrections * repeat, 1):.0%}).")
    with right:
        encoder = st.text_input("Encoder folder (the bundled e5-small, or any Hugging Face encoder)",
                                value=str(root / "encoders" / "e5-small"), key="train_encoder")
        try:
            info = encoder_info(roots.confine(encoder))
            if info is None:
                problems.append(f"{md(encoder)} is not an encoder folder (no config.json with num_hidden_layers)")
        except roots.OutsideRoots as refused:
            info = None
            problems.append(md(str(refused)))
        max_layers = info["layers"] if info else 12
        head = st.radio("Head", HEADS, horizontal=True, key="train_head",
                        format_func={"crf": "CRF", "softmax": "softmax"}.get)
        gpu = gpu_name()
        layers = st.number_input(f"Encoder layers (of {max_layers})", 1, max_layers,
                                 value=max_layers if gpu else min(4, max_layers), key="train_layers")
        columns = st.columns(3)
        epochs = columns[0].number_input("Epochs", 1, 100, value=DEFAULTS.epochs, key="train_epochs")
        batch_size = columns[1].number_input("Batch size", 1, 1024, value=DEFAULTS.batch_size, key="train_batch_size")
        time_budget = columns[2].number_input("Time budget, minutes (0: none)", 0.0, value=0.0, step=5.0,
                                              key="train_time_budget")
        columns = st.columns(2)
        lr = columns[0].number_input("Encoder learning rate", 1e-7, 1.0, value=DEFAULTS.lr, step=1e-5, format="%.1e",
                                     key="train_lr")
        crf_lr = columns[1].number_input("CRF learning rate × (the CRF starts from scratch)", 1.0,
                                         10_000.0, value=DEFAULTS.crf_lr_multiplier, key="train_head_lr")
    st.caption(f"The job runs as its own process on {'the GPU (' + gpu + ')' if gpu else 'the CPU'}; "
               "you may leave this page or restart the app meanwhile.")
    for problem in problems:
        st.warning(problem)
    if st.button("Start training", type="primary", disabled=bool(problems), key="train_start"):
        params = build_params(name=name, data=data, data_dir=root, use_corrections=use_corrections,
                              corrections_repeat=repeat, encoder=encoder, head=head, layers=layers, epochs=epochs,
                              lr=lr, crf_lr_multiplier=crf_lr, batch_size=batch_size, time_budget=time_budget,
                              train_limit=train_limit)
        launch(params)


def job_panel() -> None:
    """Re-read from SQLite on every poll; reruns the whole page when a watched job ends."""
    db = get_db()
    launcher.refresh_jobs(db)
    all_jobs = jobs.list_jobs(db)
    if not all_jobs:
        st.caption("No training jobs yet.")
        return
    running = {job["id"] for job in all_jobs if job["state"] in jobs.ACTIVE_STATES}
    watched = st.session_state.setdefault("train_watched", set())
    if watched - running:  # a job we saw running has ended: the versions below may have a new row
        st.session_state["train_watched"] = set(running)
        st.rerun(scope="app")
    watched |= running
    ids = [job["id"] for job in all_jobs]
    by_id = {job["id"]: job for job in all_jobs}
    show = st.session_state.pop("train_job_show", None)  # a job just started or resumed here
    if show in by_id:
        # Set through the session state, which tells the browser: dropping the key did not, and the
        # browser sent the job it still showed back on the next poll (a finished one, no Cancel).
        st.session_state["train_job_pick"] = show
    elif st.session_state.get("train_job_pick") not in by_id:
        st.session_state["train_job_pick"] = max(running) if running else ids[0]  # the newest running, else newest
    chosen = st.selectbox("Job", ids, key="train_job_pick",
                          # no state in the label: the browser keeps an option's first label while it stays chosen
                          format_func=lambda i: f"job {i} · {(by_id[i]['params'] or {}).get('name', '?')}")
    show_job(db, by_id[chosen])


def show_job(db, job: dict) -> None:
    progress = job_progress(job)
    state = job["state"]
    if state in jobs.ACTIVE_STATES:
        text = f"{progress['phase_text']} · ETA {duration(progress['eta_s'])} (training, evaluation and saving)"
        st.progress(progress["fraction"], text=text)
        if login.is_admin(db) and st.button("Cancel this job", key=f"train_cancel_{job['id']}"):
            try:
                launcher.cancel_job(db, job["id"], user=login.job_owner(db))
                st.rerun(scope="app")
            except launcher.Refused as refused:
                st.error(f"Not cancelled: {md(refused)}.")
    elif state == "finished":
        st.success(f"Finished: version {(job['params'] or {}).get('name', '?')} is listed below.")
    elif state == "failed":
        st.error("Failed: the error and the log below say why; the active model is unchanged.")
    else:
        st.warning(f"{state.capitalize()}.")
    if state not in jobs.ACTIVE_STATES and state != "finished" and job.get("error"):
        st.code(job["error"], language=None, wrap_lines=True)  # the job's words: text, never Markdown
    if state in launcher.RESUMABLE_STATES and login.is_admin(db):
        resume_button(db, job)
    columns = st.columns(4)
    columns[0].metric("Epoch", progress["epoch"] or "—")
    columns[1].metric("Step", f"{progress['step'] or 0}/{progress['total_steps'] or '?'}")
    columns[2].metric("Loss", f"{progress['loss']:.4f}" if progress["loss"] is not None else "—")
    columns[3].metric("ETA", duration(progress["eta_s"]) if state in jobs.ACTIVE_STATES else "—")
    steps = step_events(Path(job["log_path"]).with_name("progress.jsonl")) if job.get("log_path") else []
    if steps or progress["epochs"]:
        st.plotly_chart(charts.live_curves(steps, progress["epochs"]), key="train_live_curves")
    st.code(job.get("log_tail") or "(no output yet)", language=None)
    with st.expander("Full log and command"):
        st.code(launcher.read_log(job) or "(empty)", language=None)
        st.caption(job.get("command") or "")


def resume_button(db, job: dict) -> None:
    """Continue a failed or cancelled job from its last finished epoch (a new job, the same version
    name); offered only when an epoch finished, and saying what it will do."""
    problem = launcher.resume_problem(db, job)
    if problem:
        st.caption(f"Not resumable: {md(problem)}.")
        return
    point = launcher.resume_point(job)
    name = (job.get("params") or {}).get("name") or "?"
    of = f" of {point['epochs']}" if point["epochs"] else ""
    then = ("scores and saves it" if point["epochs"] and point["epoch"] >= point["epochs"]
            else "trains on from there, then scores and saves it")
    st.caption(f"Resuming starts a new job from the model and optimizer saved after epoch {point['epoch']}{of} "
               f"(step {point['step']:,}), {then} as version {md(name)}.")
    if st.button(f"Resume from epoch {point['epoch']}", key=f"train_resume_{job['id']}"):
        try:
            new_id = launcher.resume_training(db_path(), job["id"], root=data_dir().parent, user=login.job_owner(db))
        except ValueError as error:
            st.error(f"Could not resume: {md(error)}")
            return
        st.session_state["train_job"] = st.session_state["train_job_show"] = new_id  # show it, not the one resumed
        st.rerun(scope="app")


st.title("Train")
db = get_db()
idle = not any(j["state"] in jobs.ACTIVE_STATES for j in jobs.list_jobs(db))
if login.is_admin(db):  # annotators watch jobs and versions; admins train, choose folders, promote
    with st.expander("Improve the active model with my corrections", expanded=idle):
        improve_form(db)
    with st.expander("Advanced: train from the encoder"):
        start_form(db)
else:
    st.info("Training, resuming, cancelling and promoting are for admins; you can follow jobs and versions here.")
st.subheader("Jobs")
if "train_started" in st.session_state:
    st.success(st.session_state.pop("train_started"))
has_running = any(j["state"] in jobs.ACTIVE_STATES for j in jobs.list_jobs(db))
st.fragment(run_every=POLL_SECONDS if has_running else None)(job_panel)()
st.subheader("Model versions")
if "train_promoted" in st.session_state:
    st.success(st.session_state.pop("train_promoted"))
train_versions.versions_panel(db)
