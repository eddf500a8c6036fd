"""``python -m agent``: run one agent (see :mod:`agent.main`)."""

from agent.main import main

raise SystemExit(main())
