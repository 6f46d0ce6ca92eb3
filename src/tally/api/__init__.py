"""HTTP doors (FastAPI): parse, call one service, format. No business rules here."""
