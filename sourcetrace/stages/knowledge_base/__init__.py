"""Stage `knowledge_base`: contradictions with known facts (data: `known_facts/`)."""
