"""Stage `attribution`: who says what, through whom (rules, a learned ranker and a tagger; the lexicon and the
first-name table beside them)."""
