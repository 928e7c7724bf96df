"""How the check-worthiness head scores claims that are part of a sentence (a quotation's content, say).

    python -m training.claims.checkworthiness_parts --texts ../shared/data/polnear/dev/text [--articles 40]

The head was trained on whole sentences, each encoded alone. An analysis has one pass per sentence, so a claim
that is part of a sentence is read as that part's word pieces in the sentence's context. This compares, on the
claims of the default analysis of PolNeAR dev articles, three inputs for such claims against the claim's text
encoded alone (the form training saw): the part's pieces in context (what the analysis reads), and the whole
sentence's pieces. It prints the mean absolute difference of the head's probability and how often the decision
at the model's threshold is the same. No gold labels: it measures fidelity to the trained input, not quality.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, required=True, help="a folder of article .txt files")
    parser.add_argument("--articles", type=int, default=40)
    args = parser.parse_args(argv)

    from sourcetrace._ml.shared_encoder import load_shared_encoder
    from sourcetrace.api import make_article
    from sourcetrace.pipeline.run import load_pipeline
    from sourcetrace.stages.claims.checkworthiness import claim_pieces, load_checkworthiness_model

    model = load_checkworthiness_model()
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
            fragments = [tuple(f) for f in claim.span.fragments] or [(claim.span.start, claim.span.end)]
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
