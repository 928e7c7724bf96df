"""Training of the shipped models, one folder per model mirroring `sourcetrace.stages`; not installed.

Run from the repository root, e.g. `python -m training.attribution.train --data DIR --out DIR`."""
