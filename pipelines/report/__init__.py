"""Stage: report — HTML reports for evaluators, rendered from the notebooks in `notebooks/`.

The wiring is in `stage.py`; the other modules here are pure parts it calls."""
