"""The studio's models over HTTP: `python -m service` (or `python -m core serve`). Our API under /v1
(service/app.py) and Label Studio's ML-backend protocol at the root (service/label_studio.py).

It sits above storage/ and core/: it may import both, never the app (streamlit, ui, screens,
launcher); tests/test_layers.py checks it.
"""
