"""The one base class of errors whose message already tells a person what to do.

A workflow step logs such an error as one line; anything else is a bug or an unforeseen fault and
keeps its full traceback in the job's log (foundry.runner).
"""


class UserError(Exception):
    """Bad config, wrong column, gated dataset, unusable data: the message names key and fix."""
