"""Encode a SemEval-2023 folder's articles as the pipeline does at run time and cache the word-piece vectors of
MiniLM's layers 3 and 6: the backbone's sentences (the spaCy parse), then the shared MiniLM pass over each sentence
alone (`sourcetrace._ml.shared_encoder.shared_encoding`), so the techniques head is trained on exactly the vectors
it reads in an analysis. One file per article, `CACHE/shared/ID.npz` (`train.encode_all` reads it).

    nice -n 10 python -m training.techniques.encode_layers --data ../shared/data/semeval23/en --cache DIR
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sourcetrace.datasets.semeval23 import read_semeval23

LAYERS = (3, 6)
SHARED_FOLDER = "shared"


def encode_articles(texts: dict[str, str], folder: Path, language: str = "en", batch: int = 16) -> None:
    """Each article through the backbone stage and the shared pass, written to `folder/ID.npz`: `offsets`,
    `sentence` (the backbone sentence of each word piece) and one `l<k>` array per layer (float16)."""
    from sourcetrace._ml.shared_encoder import load_shared_encoder, shared_encoding
    from sourcetrace.analysis import Analysis, ArticleInfo, Meta
    from sourcetrace.pipeline.registry import Document, registered_stages, stage_settings

    backbone = registered_stages()["backbone"](stage_settings("backbone", None))
    load_shared_encoder().require_layers(LAYERS)
    folder.mkdir(parents=True, exist_ok=True)
    todo = [i for i in sorted(texts) if not (folder / f"{i}.npz").exists()]
    started = time.time()
    for first in range(0, len(todo), batch):
        documents = [Document(Analysis(article=ArticleInfo(id=i, text=texts[i], language=language),
                                       meta=Meta(sourcetrace_version="training")))
                     for i in todo[first : first + batch]]
        backbone.process(documents)
        for document in documents:
            encoding = shared_encoding(document)
            sentence = encoding.sentence_of_window[encoding.window_of_piece]
            np.savez(folder / f"{document.analysis.article.id}.npz", offsets=encoding.offsets, sentence=sentence,
                     **{f"l{layer}": encoding.pieces[layer].astype(np.float16) for layer in LAYERS})
        print(f"{min(first + batch, len(todo))}/{len(todo)} encoded ({time.time() - started:.0f}s)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a SemEval-2023 folder (articles/, spans/)")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--language", default="en")
    args = parser.parse_args(argv)
    texts, _ = read_semeval23(args.data)
    encode_articles(texts, args.cache / SHARED_FOLDER, args.language)


if __name__ == "__main__":
    main()
