"""atbalsts: are Latvian school-support programmes working? Ingest, validate, evaluate, publish."""

__version__ = "0.1.0"
