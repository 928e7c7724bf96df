"""Training of the technique models (PTC tagger and classifier, its exported encoder; UNLP uk/ru)."""
