"""Stage: evaluate — did support raise marks, against comparable pupils not (yet) supported?

The wiring is in `stage.py`; the other modules here are pure parts it calls."""
