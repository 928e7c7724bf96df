"""Stage `framing`: framing markers (data: `lexicons/`)."""
