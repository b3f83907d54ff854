"""The fast layer: no server, no network (decisions, schemas, standards, SLA arithmetic,
the scrubber, secrets, counting). `python -m pytest tests/unit` while working."""
