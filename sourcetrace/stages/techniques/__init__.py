"""Stage `techniques`: persuasion techniques as scored spans (English, and the uk/ru model in `unlp.py`)."""
