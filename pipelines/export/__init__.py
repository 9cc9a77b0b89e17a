"""Stage: export. Ministry CSVs with statistical disclosure control (see disclosure.py).

The wiring is in `stage.py`; the other modules here are pure parts it calls."""
