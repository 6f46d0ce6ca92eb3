"""Storage: engine, exact column types, schema, migrations and the unit of work."""
