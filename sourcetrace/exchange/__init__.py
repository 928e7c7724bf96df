"""Corrections that flow back: an analysis out to the annotation tools a desk uses (Label Studio's JSON import
format, brat standoff), and the corrected annotations back in as gold files that `sourcetrace evaluate` reads.

    tasks = to_label_studio([analysis])                  # Label Studio: import the JSON, label with label_config()
    write_brat([analysis], Path("brat/"))                # brat: NAME.txt + NAME.ann per article, annotation.conf
    documents = read_label_studio(Path("export.json"))   # the corrected annotations
    write_gold(documents, Path("gold/"))                 # gold/text, gold/attributions (PolNeAR), gold/articles,
                                                         # gold/techniques.labels (PTC)

`sourcetrace evaluate attribution --gold gold/` and `sourcetrace evaluate techniques --articles gold/articles
--labels gold/techniques.labels` then measure the tool on the desk's own articles.
"""

from sourcetrace.exchange.brat import read_brat, write_brat
from sourcetrace.exchange.gold import Document, document_of, write_gold
from sourcetrace.exchange.labelstudio import label_config, read_label_studio, to_label_studio

__all__ = ["Document", "document_of", "label_config", "read_brat", "read_label_studio", "to_label_studio",
           "write_brat", "write_gold"]
