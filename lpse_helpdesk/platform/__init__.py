"""Shared plumbing every service uses, written once: stores, outbox relay, tracked consumers,
the NATS server, HTTP health/metrics, logging and the process runtime."""
