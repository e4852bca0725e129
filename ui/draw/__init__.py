"""Drawing without Streamlit state: charts, highlighted text, word clouds, fonts, people's text in Markdown."""
