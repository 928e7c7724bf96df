"""Backbones for languages other than English: each builds a spaCy `Doc` (words, spaces, lemmas, POS, and
where a parser exists heads and dependencies, sentence starts, entities) so that the stages after the backbone
read the same object whatever the language."""

from sourcetrace.pipeline.languages.cyrillic import CYRILLIC, CyrillicBackbone, load_cyrillic

__all__ = ["CYRILLIC", "CyrillicBackbone", "load_cyrillic"]
