"""``python -m tray`` (and the frozen exe): the same as the ``tvbridge`` command.

``agent`` is dispatched here, before the CLI is imported: the agent process the app starts is a long-lived child,
and typer, rich and the server's models it would otherwise import cost it some 35 MB of memory and a second of
start-up it never uses (docs/benchmarks.md, idle RSS).
"""

import sys

if sys.argv[1:2] == ["agent"]:
    from tray.streams import ensure_std_streams

    ensure_std_streams()  # the frozen exe starts without stdout/stderr; the agent logs to stderr
    from agent.main import main as agent_main
    from tray.agent_setup import resolve

    sys.exit(agent_main(sys.argv[2:], resolve=resolve))

from tray.cli import main

main()
