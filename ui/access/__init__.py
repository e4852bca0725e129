"""Who uses the app: logging in, keeping the login across reloads, the annotator's name."""
