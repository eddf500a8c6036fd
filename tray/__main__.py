"""``python -m tray``: the same as the ``tvbridge`` command."""

from tray.cli import main

main()
