"""Stage: validate. Staging rows are judged by the GX suites in `expectations/`.

The wiring is in `stage.py`; the other modules here are pure parts it calls."""
