"""The one base class of errors whose message already tells a person what to do.

A workflow step logs such an error as one line; anything else is a bug or an unforeseen fault and
keeps its full traceback in the job's log (foundry.runner).
"""


class UserError(Exception):
    """Bad config, wrong column, gated dataset, unusable data: the message names key and fix."""


class Reject(Exception):
    """An item refused with a fixed reason name and a detail: the one shape of audio, text,
    quality and telephony rejects. Subclasses name their ``REASONS`` and their ``KIND``."""

    REASONS: tuple[str, ...] | dict[str, str] = ()
    KIND = "reject"

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown {self.KIND} reason {reason!r}")
        # Passing both to Exception keeps the exception picklable across worker processes.
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"
