"""Stage `entities`: gazetteer linking of the parse's entities (data: `gazetteer/`)."""
