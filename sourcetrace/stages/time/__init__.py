"""Stage `time`: temporal expressions, normalised against the publication date."""
