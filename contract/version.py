"""The contract's version: an agent and a server that disagree on it refuse each other with a sentence.

An agent may run on another machine, installed at another time: a job it cannot read correctly must never
be traded. Every agent request carries :data:`CONTRACT_HEADER`; the server answers 409 with the sentence of
:func:`version_mismatch` when it differs, and every job carries the version it was written in.
Bump :data:`CONTRACT_VERSION` whenever a field of :mod:`contract` changes meaning, is renamed or removed.
"""

from __future__ import annotations

from typing import Final

#: The version of the models in this package. 2 (one release; main was 1): every agent request but the lease request
#: carries the lease epoch (:mod:`contract.lease`); unfinished jobs are taken over with ``POST .../jobs/unfinished``;
#: dry-run jobs; pending orders carry a lifetime (``OpenAction.lifetime``); entries may carry take-profit levels
#: (``OpenAction.take_profits``); ``ExecutionSettings`` carries the account's ``volume_multiplier`` and the trader's
#: controls (``risk_multiplier``, ``max_lots_mode``, exposure caps). An agent of version 1 would silently drop them.
#: Not bumped for ``JobResult.finish_seq``, ``AccountSnapshot.as_of_finish`` and ``AgentProgress.last_finish_seq``:
#: optional additions whose meaning no older field changes; either side without them is read as before (the server
#: falls back to the snapshot's ``as_of_signal``, an older server ignores them), so nothing is traded differently.
CONTRACT_VERSION: Final = 2

#: HTTP header an agent sends its contract version in.
CONTRACT_HEADER: Final = "X-TVBridge-Contract"


def version_mismatch(agent_version: int | None, server_version: int = CONTRACT_VERSION) -> str | None:
    """The sentence that refuses an agent speaking ``agent_version`` to a server speaking ``server_version``;
    ``None`` when they agree."""
    if agent_version == server_version:
        return None
    spoken = "no contract version" if agent_version is None else f"contract version {agent_version}"
    older = agent_version is None or agent_version < server_version
    return (
        f"This agent speaks {spoken}, the server speaks contract version {server_version}: "
        f"the {'agent' if older else 'server'} is older. Install the same tvbridge version on both; "
        f"until then the agent takes no jobs, so nothing is traded by mistake."
    )
