"""The progress bar of one measured run (tqdm, on stderr)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


class Progress:
    """Measured seconds (or requests) done so far, with requests and errors as postfix."""

    def __init__(
        self,
        label: str,
        *,
        warmup_s: float,
        duration_s: float | None,
        requests: int | None,
        enabled: bool | None,
    ) -> None:
        # Imported here: tqdm is a `bench` extra, and the unit tests run without it.
        from tqdm import tqdm  # type: ignore[import-untyped]

        self.warmup_s = warmup_s
        self.by_time = duration_s is not None
        total = duration_s if duration_s is not None else requests
        # enabled=None: tqdm decides, showing the bar only on a terminal.
        self.bar: Any = tqdm(
            total=total,
            desc=label,
            unit="s" if self.by_time else "req",
            disable=None if enabled is None else not enabled,
            leave=False,
            dynamic_ncols=True,
            mininterval=0.25,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.0f} {unit}{postfix}"
            if self.by_time
            else None,
        )
        self.position = 0.0

    def update(self, elapsed_s: float, done: int, errors: int) -> None:
        if self.by_time:
            position = min(max(elapsed_s - self.warmup_s, 0.0), float(self.bar.total))
        else:
            position = float(done)
        phase = "warm-up" if elapsed_s < self.warmup_s else f"{done:,} req"
        self.bar.set_postfix_str(f"{phase}, {errors} errors", refresh=False)
        if position > self.position:
            self.bar.update(position - self.position)
            self.position = position

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def say(message: str) -> None:
    """A line on stderr that does not tear an active bar."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)
