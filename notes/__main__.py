"""`python -m notes` is the `notes` command."""

from notes.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
