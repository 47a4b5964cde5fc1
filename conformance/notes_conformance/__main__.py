"""`python -m notes_conformance URL`: the same as the `notes-conformance` command."""

from notes_conformance.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
