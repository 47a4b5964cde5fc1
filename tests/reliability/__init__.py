"""Reliability: kill -9, SIGTERM, database faults, hostile input and load, each with its figure."""
