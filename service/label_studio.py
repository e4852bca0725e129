"""Label Studio's ML-backend protocol, as label-studio-ml-backend's label_studio_ml/api.py defines
it: GET /health (and /), POST /setup, POST /predict, POST /webhook, GET /metrics, at the root of the
URL that Label Studio's project settings (Model > Connect model) are given.

/predict answers {"results": [{"result": [labels results], "score", "model_version"}, ...]}, one
per task, in the project's own label names (core/data/label_studio.parse_label_config maps them);
/webhook takes ANNOTATION_CREATED and ANNOTATION_UPDATED and saves the annotation as a correction
in the studio, as the Correct screen's save does (a revision in the document's history, status
"corrected"), with the Label Studio user, project, task and annotation in it.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from core.data.label_studio import NerConfig, parse_label_config, result_spans, results, task_text
from service.access import caller

log = logging.getLogger("service")
router = APIRouter(tags=["Label Studio ML backend"])
SAVED_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
MODEL_CLASS = "NERStudio"


@router.get("/health", summary="Label Studio's connection check")
@router.get("/", include_in_schema=False)
def health(request: Request):
    return {"status": "UP", "model_class": MODEL_CLASS, "model_version": request.app.state.source.current().name}


@router.get("/metrics", include_in_schema=False)
def metrics():
    return {}


@router.post("/setup", summary="Label Studio connects a project")
def setup(request: Request, body: dict = Body(...), who: str = Depends(caller)):
    schema = body.get("schema")
    if isinstance(schema, str):
        try:
            _config(request, schema)
        except ValueError as error:  # Label Studio shows the answer; predictions would all be empty
            log.warning("setup for project %s: %s", body.get("project"), error)
    return {"model_version": request.app.state.source.current().name}


@router.post("/predict", summary="pre-annotations for Label Studio tasks")
async def predict(request: Request, body: dict = Body(...), who: str = Depends(caller)):
    from service.app import tag_texts

    tasks = body.get("tasks")
    if not isinstance(tasks, list):
        raise HTTPException(422, '"tasks" must be a list of Label Studio tasks')
    try:
        config = _config(request, body.get("label_config"))
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    texts = [_text(task, config.value) for task in tasks]
    served, tagged = await tag_texts(request.app, [t for t in texts if t is not None])
    tagged = iter(tagged)
    answers = []
    for text in texts:
        one = next(tagged) if text is not None else None
        if one is None:
            answers.append({"result": [], "score": 0.0, "model_version": served.name})
            continue
        entities = [e for e in one.entities if e.label in config.label_map]
        answers.append({"result": results([(e.start, e.end, e.label) for e in entities], text, config.label_map,
                                          [e.confidence for e in entities], config.from_name, config.to_name),
                        "score": one.lowest_confidence, "model_version": served.name})
    return {"results": answers}


@router.post("/webhook", status_code=201, summary="annotations submitted in Label Studio become corrections")
def webhook(request: Request, body: dict = Body(...), who: str = Depends(caller)):
    action = body.get("action")
    if action not in SAVED_EVENTS:
        return JSONResponse({"status": "ignored", "reason": f"event {action!r}: only {', '.join(SAVED_EVENTS)} "
                                                            "are saved; train on the studio's Train screen"})
    studio = _studio(request)
    annotation, task, project = (body.get(key) if isinstance(body.get(key), dict) else {}
                                 for key in ("annotation", "task", "project"))
    if annotation.get("was_cancelled"):
        return JSONResponse({"status": "ignored", "reason": "the annotator skipped the task"})
    try:
        config = _config(request, project.get("label_config"), required=False)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    text = _text(task, config.value if config else "text")
    if text is None:
        raise HTTPException(422, "the payload has no task text (task.data.text)")
    document_id, revision = _save_annotation(studio, text, annotation, task, project, config,
                                             action.split("_")[1].lower(), who, changed_only=False)
    return {"status": "ok", "document_id": document_id, "revision": revision}


@router.post("/train", summary="Label Studio's older training call: every annotated task, saved as corrections")
def train(request: Request, body: dict = Body(...), who: str = Depends(caller)):
    """Label Studio without its webhook feature flag sends all annotated tasks here when training
    is asked for; each task's latest annotation becomes a correction unless the document has it already."""
    studio = _studio(request)
    try:
        config = _config(request, body.get("label_config"), required=False)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    saved, problems = 0, []
    for task in body.get("annotations") or []:
        annotations = [a for a in (task.get("annotations") or []) if isinstance(a, dict) and not a.get("was_cancelled")] \
            if isinstance(task, dict) else []
        text = _text(task, config.value if config else "text")
        if not annotations or text is None:
            continue
        try:
            saved += _save_annotation(studio, text, annotations[-1], task, {"label_config": body.get("label_config"),
                                      "id": str(body.get("project", "?")).split(".")[0]}, config, "train", who)
        except HTTPException as error:
            problems.append(f"task {task.get('id')}: {error.detail}")
    return {"status": "ok", "saved": saved, "problems": problems}


def _studio(request: Request):
    studio = request.app.state.studio
    if studio is None:
        raise HTTPException(409, "the service runs without a studio database (--model only): start it with "
                                 "--studio DB to save annotations as corrections")
    return studio


def _save_annotation(studio, text, annotation, task, project, config, event, who, changed_only=True):
    """Save one Label Studio annotation as a correction; (document id, revision number), or with
    changed_only 0 when the document's spans are those already, else 1."""
    try:
        spans = result_spans(annotation.get("result") or [], text, studio.labels(), config.ours() if config else None)
    except ValueError as error:
        raise HTTPException(422, f"annotation {annotation.get('id')}: {error}") from None
    from storage.documents import find_text

    with studio.lock:
        found = find_text(studio.db, text)
    if found is not None and found["status"] == "corrected" and found["spans"] == [list(s) for s in spans]:
        # Already so (the same annotation sent twice: Label Studio posts to its ML backends and to
        # any project webhook): no second revision.
        return 0 if changed_only else (found["id"], found["revision_number"])
    user = annotation.get("created_username") or annotation.get("completed_by")
    user = str(user).strip(" ,") if isinstance(user, str) else f"user {user}" if user is not None else "unknown user"
    note = (f"Label Studio project {project.get('id', '?')}, task {task.get('id', '?')}, annotation "
            f"{annotation.get('id', '?')} ({event}; sent as {who})")
    saved = _save(studio, text, spans, f"label-studio:{user}", note, project.get("id"), _suggested_by(task))
    return 1 if changed_only else saved


def _save(studio, text, spans, annotator, note, project_id, model_version):
    """A correction of the studio's document with this text (a new document when there is none)."""
    from storage.documents import ConflictError, add_document, find_text, get_document, save_correction

    with studio.lock:
        found = find_text(studio.db, text)
        document_id = found["id"] if found else add_document(studio.db, text, f"label-studio:project {project_id}")
        for _ in range(3):  # someone saved in between: Label Studio's annotation is the newest word
            try:
                save_correction(studio.db, document_id, [list(s) for s in spans], annotator, model_version,
                                base_revision=get_document(studio.db, document_id)["revision"], note=note)
                return document_id, get_document(studio.db, document_id)["revision_number"]
            except ConflictError:
                continue
    raise HTTPException(409, f"document {document_id} kept changing; send the annotation again")


def _config(request: Request, label_config, required: bool = True) -> NerConfig | None:
    if not isinstance(label_config, str) or not label_config.strip():
        if required:
            raise ValueError("label_config is missing: the project's labelling config is needed to name the labels")
        return None
    model_types = list(request.app.state.source.current().tagger.entity_types)
    studio = request.app.state.studio
    return parse_label_config(label_config, sorted(set(model_types) | set(studio.labels() if studio else [])))


def _text(task, field: str) -> str | None:
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict):
        return None
    try:
        text = data[field] if field in data else task_text(data)
    except ValueError:
        return None
    return text if isinstance(text, str) else None


def _suggested_by(task: dict) -> str | None:
    versions = [p.get("model_version") for p in task.get("predictions") or [] if isinstance(p, dict)]
    return next((v for v in reversed(versions) if isinstance(v, str) and v), None)
