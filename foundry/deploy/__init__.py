"""Safe deployment: candidate registry, offline gate, shadow traffic, promotion and rollback.

Everything lives as files under ``deploy/<engine>/`` (see ``foundry.deploy.registry``) so that the
serving process, the workflow and a person with ``cat`` all see the same state.
"""

from foundry.paths import DEPLOY_ENGINES  # noqa: F401  (re-export)
