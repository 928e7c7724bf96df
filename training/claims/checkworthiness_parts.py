"""How the check-worthiness head scores claims that are part of a sentence (a quotation's content, say).

    python -m training.claims.checkworthiness_parts --texts ../shared/data/polnear/dev/text [--articles 40]
    python -m training.claims.checkworthiness_parts --data ../shared/data/checkworthy --tfidf WORK/heldout-tfidf.npy

The head was trained on whole sentences, each encoded alone. An analysis has one pass per sentence, so a claim
that is part of a sentence is read as that part's word pieces in the sentence's context. This compares, on the
claims of the default analysis of PolNeAR dev articles, three inputs for such claims against the claim's text
encoded alone (the form training saw): the part's pieces in context (what the analysis reads), and the whole
sentence's pieces. It prints the mean absolute difference of the head's probability and how often the decision
at the model's threshold is the same. No gold labels: it measures fidelity to the trained input, not quality.

With `--data`, the held-out tenth of CheckThat! 2024 train (`heldout_ids.txt`) is scored as the shipped average
(with the TF-IDF side's held-out probabilities of the training run, `--tfidf`), each sentence alone and each put
inside a reporting frame ('The senator said, "..."', 'Officials said that ...') and read as a part in context:
the held-out F1 that reading parts in context costs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

FRAMES = {"quote": ('The senator said, "', '"'), "reported": ("Officials said that ", "")}


def framed_heldout(data: Path, tfidf_path: Path) -> dict:
    from sourcetrace._ml.shared_encoder import load_shared_encoder
    from sourcetrace.evaluate.checkworthiness import positive_class_scores, read_checkworthy_tsv
    from sourcetrace.stages.claims.checkworthiness import SHARED_MODEL_DIR, claim_pieces, load_checkworthiness_model
    from training.claims.checkworthiness import is_heldout

    rows = [row for row in read_checkworthy_tsv(data / "CT24_checkworthy_english_train.tsv")
            if is_heldout(row.sentence_id)]
    labels = [row.label for row in rows]
    model = load_checkworthiness_model(SHARED_MODEL_DIR)
    head, layer, weight = model.minilm, model.shared_layer, model.minilm_weight
    tfidf = np.load(tfidf_path)

    def f1(scores: list[float] | np.ndarray) -> float:
        average = (1 - weight) * tfidf + weight * np.asarray(scores)
        return round(positive_class_scores(labels, [int(p >= model.threshold) for p in average]).f1, 4)

    alone = head.score([row.text for row in rows])
    report: dict = {"sentences": len(rows), "alone": f1(alone)}
    for name, (before, after) in FRAMES.items():
        texts, spans, parts, position = [], [], [], 0
        for row in rows:
            sentence = before + row.text.strip() + after
            spans.append((position, position + len(sentence)))
            parts.append((position + len(before), position + len(before) + len(row.text.strip())))
            texts.append(sentence)
            position += len(sentence) + 1
        encoding = load_shared_encoder().encode_spans("\n".join(texts), spans)
        in_context = [head.score_pieces(claim_pieces(encoding, [part], layer)) for part in parts]
        report[name] = {"in_context": f1(in_context),
                        "mean_abs_difference_vs_alone": round(float(np.abs(np.array(in_context) - alone).mean()), 4)}
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, help="a folder of article .txt files")
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--data", type=Path, help="folder with the CT24 train TSV (the held-out frames)")
    parser.add_argument("--tfidf", type=Path, help="held-out TF-IDF probabilities (heldout-tfidf.npy of training)")
    args = parser.parse_args(argv)
    if args.data is not None:
        print(json.dumps(framed_heldout(args.data, args.tfidf), indent=1))
        return

    from sourcetrace._ml.shared_encoder import load_shared_encoder
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import load_pipeline
    from sourcetrace.stages.claims.checkworthiness import SHARED_MODEL_DIR, claim_pieces, load_checkworthiness_model

    model = load_checkworthiness_model(SHARED_MODEL_DIR)
    head, layer = model.minilm, model.shared_layer
    pipeline = load_pipeline()
    encoder = load_shared_encoder()
    paths = sorted(args.texts.glob("*.txt"))[: args.articles]
    alone, in_context, sentence_wide = [], [], []
    whole_sentences = parts = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        (analysis,) = pipeline.analyze_batch([make_article(text, id=path.stem)])
        spans = [(s.start, s.end) for s in analysis.sentences]
        encoding = encoder.encode_spans(analysis.text, spans)
        for claim in analysis.claims:
            fragments = [tuple(f) for f in claim.span.fragments or ()] or [(claim.span.start, claim.span.end)]
            sentence = next((s for s in spans if s[0] <= claim.span.start < s[1]), None)
            words = claim.span.text.strip(" .")
            if sentence is None or analysis.text[sentence[0]:sentence[1]].strip(" .") == words:
                whole_sentences += 1
                continue
            parts += 1
            alone.append(head.score([" ".join(analysis.text[s:e] for s, e in fragments)])[0])
            in_context.append(head.score_pieces(claim_pieces(encoding, fragments, layer)))
            sentence_wide.append(head.score_pieces(claim_pieces(encoding, [sentence], layer)))
    alone_array = np.array(alone)

    def against_alone(scores: list[float]) -> dict[str, float]:
        scores_array = np.array(scores)
        # the decision of the head alone, at the model's threshold (the average's cut, as a common reference)
        return {"mean_abs_difference": round(float(np.abs(scores_array - alone_array).mean()), 4),
                "same_decision": round(float(((scores_array >= model.threshold)
                                              == (alone_array >= model.threshold)).mean()), 4)}

    print(json.dumps({"articles": len(paths), "claims_whole_sentences": whole_sentences, "claims_parts": parts,
                      "part_pieces_in_context_vs_alone": against_alone(in_context),
                      "whole_sentence_pieces_vs_alone": against_alone(sentence_wide)}, indent=1))


if __name__ == "__main__":
    main()
