"""Retries with exponential backoff for network operations.

An operation signals "worth another try" (connection refused, timeout, HTTP 5xx) by
raising :class:`Transient`; anything else propagates at once. When the last attempt
fails too, the caller gets one :class:`~patchdigest.errors.SyncError` naming the
(credential-free) URL and the last reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import SyncError

T = TypeVar("T")
Notify = Callable[[str], None]


class Transient(Exception):
    """A failure that may go away if the same request is made again a little later."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` tries in all; the n-th retry waits ``base_delay * factor**(n-1)`` seconds."""

    attempts: int = 3
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.factor < 1:
            raise ValueError(f"invalid retry policy {self!r}")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return float(min(self.max_delay, self.base_delay * self.factor ** (retry - 1)))


def with_retries(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    where: str,
    notify: Notify | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation`` until it returns, raises something other than Transient, or runs out of tries.

    ``where`` (a redacted URL) names the failure; ``notify`` hears about each retry.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return operation()
        except Transient as exc:
            if attempt == policy.attempts:
                tries = f" (gave up after {attempt} attempts)" if attempt > 1 else ""
                raise SyncError(f"{exc.reason}{tries}", where=where) from exc
            delay = policy.delay(attempt)
            if notify:
                notify(f"{where}: {exc.reason}; retrying in {delay:g}s (attempt {attempt + 1}/{policy.attempts})")
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
