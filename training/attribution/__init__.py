"""Training of the attribution ranker, its tagger and the first-name table."""
