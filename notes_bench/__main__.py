"""``python -m notes_bench``: the same as ``notes-bench``."""

from notes_bench.cli import main

raise SystemExit(main())
