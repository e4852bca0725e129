"""Data: what a corpus split or the corrections hold: labels, lengths with the 3-sigma point,
entity lengths, and a word cloud with the most frequent entities per type."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.data.corpus_files import SPLITS, corpora_root, has_split, prepared_corpora, split_paths
from core.data.corpus_stats import describe, documents_to_sentences, mean_and_std, share_above
from core.labels import TYPE_NAMES
from core.data.training_data import read_labelled
from ui.draw import charts
from ui.draw.fonts import DEBIAN_PACKAGE, find_cjk_font
from ui.shared import data_dir, get_db
from ui.team.progress import agreement_section
from ui.draw.wordclouds import drawable, entity_cloud

TOP_ENTITIES = 300  # kept per type: the cloud draws 150, the table shows 30


def file_stamp(*paths: Path) -> tuple:
    return tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in paths)


@st.cache_data(show_spinner="Counting the corpus…", max_entries=12)
def corpus_description(chars_path: str, tags_path: str, stamp: tuple) -> dict:
    """describe() of a chars/TAG pair; stamp (mtime, size) makes a rewritten file count anew."""
    return describe(read_labelled(chars_path, tags_path), top=TOP_ENTITIES)


def corrections_description() -> dict:
    """Not cached: the corrections change while annotators work and are few (hundreds)."""
    from storage.documents import reviewed_documents

    return describe(documents_to_sentences(reviewed_documents(get_db())), top=TOP_ENTITIES)


@st.cache_data(show_spinner=False, max_entries=64)
def cloud_png(words: tuple, entity_type: str, font_path: str) -> bytes:
    import io

    buffer = io.BytesIO()
    entity_cloud(dict(words), font_path, entity_type).save(buffer, format="PNG")
    return buffer.getvalue()


def choose_corpus() -> dict | None:
    root = data_dir()
    corpora = prepared_corpora(root)
    if not corpora:
        st.error(f"No prepared corpora under {corpora_root(root)}. Build them with: python -m core prepare")
        return None
    left, right = st.columns(2)
    corpus = left.selectbox("Corpus", corpora, key="data_corpus")
    folder = corpora_root(root) / corpus
    splits = [s for s in SPLITS if has_split(str(folder), s)]
    split = right.selectbox("Split", splits, key="data_split")
    chars, tags = split_paths(str(folder), split)
    try:
        return corpus_description(str(chars), str(tags), file_stamp(chars, tags))
    except ValueError as error:
        st.error(f"{error}\n\nFind every bad line with: python -m core check {chars} {tags}")
        return None


def choose_corrections() -> dict | None:
    stats = corrections_description()
    if not stats["sentences"]:
        st.info("No corrected documents yet: correct some on the Correct screen, then come back.")
        return None
    return stats


def draw_summary(stats: dict) -> None:
    mean, std = mean_and_std(stats["sentence_lengths"])
    columns = st.columns(4)
    columns[0].metric("Sentences", f"{stats['sentences']:,}")
    columns[1].metric("Characters", f"{stats['characters']:,}")
    columns[2].metric("Entities", f"{sum(stats['entity_counts'].values()):,}")
    columns[3].metric("Mean length", f"{mean:.1f}")

    st.subheader("Labels")
    left, right = st.columns(2)
    left.plotly_chart(charts.count_bars(stats["entity_counts"], "entities per type"), key="data_entity_counts")
    right.plotly_chart(charts.count_bars(stats["tag_counts"], "characters per tag"), key="data_tag_counts")

    st.subheader("Lengths")
    st.plotly_chart(charts.length_histogram(stats["sentence_lengths"]), key="data_sentence_lengths")
    limit = mean + 3 * std
    st.caption(f"Mean {mean:.1f} characters, σ {std:.1f}: {share_above(stats['sentence_lengths'], limit):.2%} "
               f"of sentences are longer than mean + 3σ = {limit:.0f} characters.")
    st.plotly_chart(charts.entity_length_bars(stats["entity_lengths"]), key="data_entity_lengths")


def draw_entities(stats: dict) -> None:
    st.subheader("Entities")
    types = list(stats["entity_texts"])
    if not types:
        st.info("No entities here.")
        return
    font = find_cjk_font()
    if font is None:
        st.error(f"No font that draws Chinese characters was found, so the word clouds cannot be drawn. "
                 f"Install Debian's {DEBIAN_PACKAGE} (sudo apt-get install {DEBIAN_PACKAGE}; "
                 f"fonts-wqy-microhei also works) and restart the app.")
    for tab, entity_type in zip(st.tabs([f"{t} ({TYPE_NAMES.get(t, t)})" for t in types]), types):
        frequencies = stats["entity_texts"][entity_type]
        with tab:
            left, right = st.columns([3, 2])
            if font is not None:
                words, dropped = drawable(dict(list(frequencies.items())[:150]), font)
                if words:
                    left.image(cloud_png(tuple(words.items()), entity_type, font), width="stretch")
                if dropped:
                    left.caption(f"Left out, the font has no glyph for them: {', '.join(dropped[:10])}")
            total = stats["entity_counts"][entity_type]
            table = pd.DataFrame([{"entity": text, "count": count, "share": count / total}
                                  for text, count in list(frequencies.items())[:30]])
            right.dataframe(table, hide_index=True, width="stretch",
                            column_config={"share": st.column_config.NumberColumn(format="percent")})
            right.caption(f"{stats['distinct_entities'][entity_type]:,} distinct {entity_type} entities, "
                          f"{total:,} in all.")


st.title("Data")
source = st.radio("Show", ["corpus", "corrections", "agreement"], horizontal=True, key="data_source",
                  help="agreement: between annotators who annotated the same documents (an overlap of 2 or more)")
if source == "agreement":
    st.subheader("Agreement between annotators")
    agreement_section(get_db())
    st.stop()
stats = choose_corpus() if source == "corpus" else choose_corrections()
if stats is not None:
    draw_summary(stats)
    draw_entities(stats)
