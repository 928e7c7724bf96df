"""Stage `factchecks`: matches to claims already fact-checked, and known narratives."""
