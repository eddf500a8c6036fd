"""Agent test set-up: the hypothesis profile of the property and fuzz tests.

Inputs are random on every run, so each CI run explores new cases (hypothesis does not derandomize by
default). A failure prints the falsifying example and a ``@reproduce_failure`` blob (``print_blob``) and is
stored in the local example database (``.hypothesis/``, ignored by git), from which the next local run replays
it first. ``pytest --hypothesis-seed=N`` replays a whole run; the seed of a failing run is shown in its report.
Example counts are set per test to keep the suite's run time bounded.
"""

from hypothesis import settings

settings.register_profile("tvbridge", print_blob=True, deadline=None)
settings.load_profile("tvbridge")
