"""What several test modules share: AppTest helpers (app.py), the real-browser helpers
(browser.py) and the app fixtures conftest.py registers for every module (fixtures.py)."""
