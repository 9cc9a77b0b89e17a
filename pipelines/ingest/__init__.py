"""Stage: ingest. Every file under the raw folder → typed, pseudonymised rows in `staging`.

The wiring is in `stage.py`; the other modules here are pure parts it calls."""
