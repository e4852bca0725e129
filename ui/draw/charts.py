"""Plotly figures for the Train, Model and Data screens, built from plain lists and dicts.

Pure: no Streamlit, no model, no database, so every figure is unit-tested on hand-made data.
"""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.labels import allowed_starts, allowed_transitions
from core.data.corpus_stats import mean_and_std
from ui.formats import set_labels

IMPOSSIBLE_COLOR = "#111111"  # black: stands out on both ends of the red-blue scale
OUTLIER_COLOR = "#d62728"
# Scores are fractions on the axes and percentages with one decimal on screen, as everywhere in the app.
PERCENT = "%{y:.1%}"
PERCENT_AXIS = {"range": [0, 1.08], "tickformat": ".0%"}
START, END = "START", "END"
RUN_MARKERS = ["circle", "diamond", "square", "x", "triangle-up", "star"]  # one per run compared


# ---- Model: CRF transitions -----------------------------------------------------------------
def impossible_cells(tags: list[str], with_start: bool = False) -> set[tuple[int, int]]:
    """(row, column) cells of the transition heatmap that BIO forbids.

    Rows are the previous tag, columns the next one; with_start puts a START row first (so
    tag rows move down by one), where an I_ tag cannot begin a sentence.
    """
    allowed = set(allowed_transitions(tags))
    offset = 1 if with_start else 0
    cells = {(i + offset, j) for i in range(len(tags)) for j in range(len(tags)) if (i, j) not in allowed}
    if with_start:
        starts = set(allowed_starts(tags))
        cells |= {(0, j) for j in range(len(tags)) if j not in starts}
    return cells


def transition_heatmap(transitions, tags: list[str], start=None, end=None) -> go.Figure:
    """The CRF's learned transition scores, impossible BIO moves outlined in black.

    transitions: (tags, tags) nested lists, [from][to]; start, end: optional (tags,) scores of
    beginning and ending a sentence on each tag, drawn as a START row and an END column.
    """
    n = len(tags)
    if len(transitions) != n or any(len(row) != n for row in transitions):
        raise ValueError(f"transitions must be {n}x{n} for tags {tags}, got {len(transitions)} rows")
    rows = [list(map(float, row)) for row in transitions]
    row_names, col_names = list(tags), list(tags)
    if end is not None:
        rows = [row + [float(e)] for row, e in zip(rows, end)]
        col_names.append(END)
    if start is not None:
        rows.insert(0, [float(s) for s in start] + ([None] if end is not None else []))
        row_names.insert(0, START)
    cells = impossible_cells(tags, with_start=start is not None)
    hover = [[f"{row_names[i]} → {col_names[j]}: {value:.2f}" + (" (impossible in BIO)" if (i, j) in cells else "")
              if value is not None else "" for j, value in enumerate(row)] for i, row in enumerate(rows)]
    figure = go.Figure(go.Heatmap(
        z=rows, x=col_names, y=row_names, colorscale="RdBu", zmid=0, text=hover,
        hoverinfo="text", texttemplate="%{z:.1f}", colorbar={"title": "score"}))
    for i, j in sorted(cells):
        figure.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                         line={"color": IMPOSSIBLE_COLOR, "width": 3}, name=f"impossible {row_names[i]}->{col_names[j]}")
    figure.update_layout(
        title="CRF transition scores: row = previous tag, column = next tag; black outline = impossible in BIO",
        xaxis={"side": "top", "type": "category"},  # the title names the axes: an axis title here hits it
        yaxis={"autorange": "reversed", "type": "category"},
        margin={"t": 110}, height=150 + 42 * len(row_names))
    return figure


# ---- Model and Train: curves and scores ---------------------------------------------------
def _micro_f1(entities) -> float | None:
    if not entities:
        return None
    return (entities.get("micro") or {}).get("f1")


def training_curves(runs: dict[str, list[dict]]) -> go.Figure:
    """Loss (train solid, dev dashed), dev token accuracy and dev entity F1 per epoch.

    runs: {run name: curves.json rows}; one colour per run, so the same figure compares versions.
    Runs often share epochs point for point (an improvement carries its parent's curves), so each
    run is drawn wider and paler than the ones after it, with its own marker: a later run's line
    runs inside an earlier one's band instead of hiding it.
    """
    figure = make_subplots(rows=1, cols=3, subplot_titles=("loss", "dev token accuracy", "dev entity F1"))
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
    for index, (name, curves) in enumerate(runs.items()):
        epochs = [row["epoch"] for row in curves]
        prefix = f"{name}: " if len(runs) > 1 else ""
        behind = len(runs) - 1 - index  # runs drawn over this one
        style = {"width": 2 + 3 * behind}, {"symbol": RUN_MARKERS[index % len(RUN_MARKERS)], "size": 6 + 3 * behind}
        series = [
            (1, "train loss", [row.get("train_loss") for row in curves], "solid"),
            (1, "dev loss", [row.get("dev_loss") for row in curves], "dash"),
            (2, "dev token accuracy", [row.get("dev_token_accuracy") for row in curves], "solid"),
            (3, "dev F1", [row.get("dev_f1") for row in curves], "solid"),
        ]
        for number, (col, label, values, dash) in enumerate(series):
            # One run: a colour per series; several: a colour per run, so runs read apart.
            color = palette[(index if len(runs) > 1 else number) % len(palette)]
            figure.add_trace(go.Scatter(x=epochs, y=values, name=prefix + label, mode="lines+markers",
                                        line={"color": color, "dash": dash, **style[0]}, marker=style[1],
                                        opacity=0.45 if behind else 1.0, legendgroup=name), row=1, col=col)
    figure.update_xaxes(title_text="epoch", dtick=1)
    for col in (2, 3):
        figure.update_yaxes(tickformat=".0%", hoverformat=".1%", row=1, col=col)
    figure.update_layout(height=360, legend={"orientation": "h", "y": -0.25})
    return figure


def _entity_rows(entities: dict) -> list[str]:
    """Entity types in a stable order with the micro average last."""
    return sorted(k for k in entities if k != "micro") + (["micro"] if "micro" in entities else [])


def per_type_scores(entities: dict, title: str = "") -> go.Figure:
    """Grouped bars of precision, recall and F1 per entity type (and micro average)."""
    types = _entity_rows(entities)
    figure = go.Figure()
    for metric in ("precision", "recall", "f1"):
        values = [entities[t][metric] for t in types]
        figure.add_trace(go.Bar(x=types, y=values, name=metric, texttemplate=PERCENT, textposition="outside",
                                customdata=[entities[t].get("support") for t in types],
                                hovertemplate="%{x} entity " + metric + " %{y:.1%}<br>support %{customdata}<extra></extra>"))
    figure.update_layout(barmode="group", title=title, yaxis=PERCENT_AXIS, height=340)
    return figure


def scores_comparison(versions: dict[str, dict]) -> go.Figure:
    """Entity F1 per evaluation set and type, one bar colour per version. A bar is placed by its
    set's name and size ('MSRA test (300-sentence sample) PER'), so two versions' bars stand side
    by side only where they were measured on the same set.

    versions: {name: scores.json content}, i.e. {corpus: {"token_accuracy": x, "entities": {...}}}.
    """
    figure = go.Figure()
    names = list(versions)
    labels = {}  # (version, set name): its label, shared by the versions scored on the same sentences
    for corpus in {corpus for scores in versions.values() for corpus in scores or {}}:
        scored = [name for name in names if corpus in (versions[name] or {})]
        labels.update(zip([(name, corpus) for name in scored],
                          set_labels(corpus, [versions[name][corpus] for name in scored])))
    for name, scores in versions.items():
        x, y = [], []
        for corpus in sorted(scores or {}):
            entities = scores[corpus].get("entities", {})
            for entity_type in _entity_rows(entities):
                x.append(f"{labels[name, corpus]} {entity_type}")
                y.append(entities[entity_type]["f1"])
        figure.add_trace(go.Bar(x=x, y=y, name=name, texttemplate=PERCENT, textposition="outside"))
    figure.update_layout(barmode="group", title="entity F1 on the evaluation set", yaxis=PERCENT_AXIS, height=360)
    return figure


def confusion_heatmap(counts, tags: list[str], counted_over: str = "") -> go.Figure:
    """Row-normalised tag confusion: each gold row sums to 1 (a row with no characters stays 0).
    counted_over names the sets and their sizes in the title ('MSRA test (4,620 sentences)')."""
    normalised = []
    for row in counts:
        total = sum(row)
        normalised.append([value / total if total else 0.0 for value in row])
    hover = [[f"gold {tags[i]}, predicted {tags[j]}: {normalised[i][j]:.1%} ({counts[i][j]} characters)"
              for j in range(len(tags))] for i in range(len(tags))]
    figure = go.Figure(go.Heatmap(z=normalised, x=tags, y=tags, colorscale="Blues", zmin=0, zmax=1,
                                  text=hover, hoverinfo="text", texttemplate="%{z:.1%}"))
    title = "confusion over tags (rows: gold, normalised; columns: predicted)"
    figure.update_layout(title=title + (f"<br>counted over {counted_over}" if counted_over else ""),
                         xaxis={"side": "top", "type": "category"}, yaxis={"autorange": "reversed", "type": "category"},
                         margin={"t": 130 if counted_over else 110}, height=150 + 42 * len(tags))
    return figure


# ---- Model: ablation studies ----------------------------------------------------------------
def experiment_table(rows: list[dict]) -> list[dict]:
    """One flat row per variant: variant, dev F1, then "<corpus> F1" per test corpus.

    Test scores are read from "test" (or "scores"): {corpus: scores.json-style dict or an F1}.
    """
    table = []
    for row in rows:
        flat = {"variant": str(row.get("variant", "?")), "dev F1": row.get("dev_f1")}
        tests = row.get("test") or row.get("scores") or row.get("test_scores") or {}
        for corpus, result in sorted(tests.items()) if isinstance(tests, dict) else []:
            if isinstance(result, dict):
                result = _micro_f1(result.get("entities")) if "entities" in result else result.get("f1")
            flat[f"{corpus} F1"] = result
        for key in ("seconds", "epochs"):
            if isinstance(row.get(key), (int, float)):
                flat[key] = row[key]
        table.append(flat)
    return table


def experiment_bars(rows: list[dict], title: str) -> go.Figure:
    """Dev F1 and every test corpus's F1 per variant."""
    table = experiment_table(rows)
    metrics = [k for k in dict.fromkeys(k for row in table for k in row) if k.endswith("F1")]
    figure = go.Figure()
    for metric in metrics:
        values = [row.get(metric) for row in table]
        figure.add_trace(go.Bar(x=[row["variant"] for row in table], y=values, name=metric,
                                texttemplate=PERCENT, textposition="outside"))
    figure.update_layout(barmode="group", title=title, yaxis={**PERCENT_AXIS, "title": "entity F1"}, height=360)
    return figure


# ---- Data ---------------------------------------------------------------------------------
def count_bars(counts: dict, title: str, x_title: str = "") -> go.Figure:
    labels = list(counts)
    values = [counts[label] for label in labels]
    figure = go.Figure(go.Bar(x=labels, y=values, text=[f"{v:,}" for v in values], textposition="outside"))
    figure.update_layout(title=title, xaxis={"title": x_title, "type": "category"}, yaxis={"title": "count"},
                         height=320)
    return figure


def length_histogram(lengths, title: str = "sentence length", unit: str = "characters") -> go.Figure:
    """Counts per length, with the mean and the mean + 3 sigma marked as vertical lines.

    Shapes are named "mean" and "mean+3sigma"; the 3-sigma point is where a length cut-off
    would touch only outliers.
    """
    lengths = list(lengths)
    counts: dict[int, int] = {}
    for length in lengths:
        counts[length] = counts.get(length, 0) + 1
    xs = sorted(counts)
    figure = go.Figure(go.Bar(x=xs, y=[counts[x] for x in xs], name="sentences", marker={"line": {"width": 0}},
                              hovertemplate="%{x} " + unit + ": %{y}<extra></extra>"))
    mean, std = mean_and_std(lengths)
    if lengths:
        for name, x, color, dash in (("mean", mean, "#2ca02c", "dot"), ("mean+3sigma", mean + 3 * std, OUTLIER_COLOR, "dash")):
            figure.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", name=name,
                             line={"color": color, "dash": dash, "width": 2})
            label = f"mean {mean:.1f}" if name == "mean" else f"mean + 3σ = {x:.1f}"
            figure.add_annotation(x=x, y=1, yref="paper", text=label, showarrow=False, xanchor="left",
                                  yanchor="bottom" if name == "mean" else "top", font={"color": color})
    figure.update_layout(title=title, xaxis={"title": unit}, yaxis={"title": "count"}, bargap=0, height=340)
    return figure


def entity_length_bars(entity_lengths: dict[str, dict]) -> go.Figure:
    """Entity lengths in characters, one bar series per type."""
    figure = go.Figure()
    for label, counts in entity_lengths.items():
        xs = sorted(int(k) for k in counts)
        values = [counts.get(x, counts.get(str(x), 0)) for x in xs]
        figure.add_trace(go.Bar(x=xs, y=values, name=label))
    figure.update_layout(barmode="group", title="entity length", xaxis={"title": "characters", "dtick": 1},
                         yaxis={"title": "entities"}, height=340)
    return figure



# ---- Train: a job while it runs ---------------------------------------------------------------
def live_curves(steps: list[dict], epochs: list[dict]) -> go.Figure:
    """Training loss per logged step with dev loss at each epoch's end, and dev F1 per epoch.

    steps: step events ({step, loss}); epochs: epoch records ({epoch, step, dev_loss, dev_f1}).
    Both panels share the step axis so an epoch's dev point sits where the epoch ended.
    """
    figure = make_subplots(rows=1, cols=2, subplot_titles=("loss", "dev entity F1"))
    figure.add_trace(go.Scatter(x=[s["step"] for s in steps], y=[s.get("loss") for s in steps], mode="lines",
                                name="training loss (per step)", line={"color": "#1f77b4"}), row=1, col=1)
    epoch_steps = [e.get("step") for e in epochs]
    labels = [f"epoch {e.get('epoch')}" for e in epochs]
    figure.add_trace(go.Scatter(x=epoch_steps, y=[e.get("dev_loss") for e in epochs], mode="lines+markers",
                                name="dev loss", text=labels, line={"color": "#ff7f0e", "dash": "dash"}), row=1, col=1)
    figure.add_trace(go.Scatter(x=epoch_steps, y=[e.get("dev_f1") for e in epochs], mode="lines+markers",
                                name="dev F1", text=labels, line={"color": "#2ca02c"}), row=1, col=2)
    figure.update_xaxes(title_text="step")
    figure.update_yaxes(range=[0, 1], tickformat=".0%", hoverformat=".1%", row=1, col=2)
    figure.update_layout(height=320, legend={"orientation": "h", "y": -0.3})
    return figure
