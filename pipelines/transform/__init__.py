"""Transform: validated staging rows become the de-duplicated `core` tables.

The wiring is in `stage.py`; the other modules here are pure parts it calls."""
