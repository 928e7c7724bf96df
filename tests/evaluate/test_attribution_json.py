"""The JSON development-set form of `evaluate attribution`: texts from the public data, checked by SHA-256."""

import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sourcetrace.errors import InputError
from sourcetrace.evaluate.attribution import Scores, read_json_gold, score_file

TEXT = "«Мы не видим оснований», — заявил Песков. Погода хорошая."
POST = "За словами Бориса Шефіра, він не спілкується з Зеленським."


def _record(doc_id, language, dataset, reference, text, attributions):
    return {"id": doc_id, "language": language, "origin": {"dataset": dataset, "path_or_id": reference},
            "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "attributions": attributions}


@pytest.fixture()
def data(tmp_path):
    root = tmp_path / "data"
    (root / "semeval23/ru/articles").mkdir(parents=True)
    (root / "semeval23/ru/articles/article1.txt").write_text(TEXT, encoding="utf-8")
    (root / "unlp2025/span_detection").mkdir(parents=True)
    pq.write_table(pa.table({"id": ["p1"], "content": [POST], "lang": ["uk"]}),
                   root / "unlp2025/span_detection/train.parquet")
    gold = tmp_path / "gold"
    gold.mkdir()
    said = {"source": [34, 40], "cue": [27, 33], "content": [0, 24], "channel": None, "speaker": "Дмитрий Песков",
            "kind": "named"}
    author = {"source": None, "cue": None, "content": [42, 57], "channel": None, "speaker": None, "kind": "author"}
    (gold / "ru1.json").write_text(json.dumps(_record("ru1", "ru", "semeval23-ru", "article1.txt", TEXT,
                                                      [said, author])), encoding="utf-8")
    according = {"source": [11, 24], "cue": [0, 10], "content": [26, 58], "channel": None, "speaker": "Борис Шефір",
                 "kind": "named"}
    (gold / "uk1.json").write_text(json.dumps(_record("uk1", "uk", "unlp2025", "p1", POST, [according])),
                                   encoding="utf-8")
    return gold, root


def test_reads_both_datasets_and_leaves_author_voice_out(data):
    gold, root = data
    articles, languages = read_json_gold(gold, root)
    assert languages == {"ru1": "ru", "uk1": "uk"}
    russian = next(a for a in articles if a.name == "ru1")
    assert len(russian.attributions) == 1
    item = russian.attributions[0]
    assert TEXT[slice(*item.cue[0])] == "заявил" and TEXT[slice(*item.source[0])] == "Песков"
    ukrainian = next(a for a in articles if a.name == "uk1")
    assert POST[slice(*ukrainian.attributions[0].cue[0])] == "За словами"


def test_a_changed_text_is_refused_naming_the_file(data):
    gold, root = data
    (root / "semeval23/ru/articles/article1.txt").write_text(TEXT + " ", encoding="utf-8")
    with pytest.raises(InputError, match="ru1.json.*SHA-256"):
        read_json_gold(gold, root)


def test_perfect_prediction_scores_one(data):
    gold, root = data
    articles, _ = read_json_gold(gold, root)
    scores = Scores()
    for article in articles:
        score_file(scores, article.text, article.attributions, article.attributions)
    result = scores.to_dict()
    assert all(result["exact"][role]["f1"] == 1.0 for role in ("source", "cue", "content"))
