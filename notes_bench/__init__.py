"""notes-bench: the load benchmark of any server of the notes REST contract.

Run ``notes-bench --help`` (or ``python -m notes_bench``); ``benchmarks/README.md``
explains every flag, the open-loop model, and how the figures are computed.
"""
