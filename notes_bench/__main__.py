"""``python -m benchmarks``: run the load benchmark."""

from benchmarks.cli import main

raise SystemExit(main())
