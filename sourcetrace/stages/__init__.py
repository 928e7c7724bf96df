"""The stages, one subpackage each, in pipeline order: entities, time, attribution, claims, techniques, framing,
knowledge_base, factchecks (the backbone stage lives in `sourcetrace.pipeline.backbone`)."""
