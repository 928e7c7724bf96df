"""The pipeline: the stage registry, the runner, the settings and the spaCy backbone stage."""

from sourcetrace.pipeline.registry import Document, Stage, StageContract, register_stage, registered_stages
from sourcetrace.pipeline.run import DEFAULT_STAGES, Pipeline, load_pipeline
from sourcetrace.pipeline.settings import load_profile

__all__ = ["DEFAULT_STAGES", "Document", "Pipeline", "Stage", "StageContract", "load_pipeline", "load_profile",
           "register_stage", "registered_stages"]
