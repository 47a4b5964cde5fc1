"""Load benchmark for any server implementing the notes REST contract.

Run ``python -m benchmarks --help``; ``benchmarks/README.md`` explains every flag.
"""
