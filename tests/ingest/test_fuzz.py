"""Property-based fuzzing of every reader: random and mutated input gives articles or clear InputErrors only."""

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcetrace.analysis import ArticleInfo
from sourcetrace.errors import InputError
from sourcetrace.ingest import READERS, ReadOptions

VALID = {
    ".txt": b"Kharkov region\nMarochko said that NATO officers were seen.\n",
    ".html": b"<html><head><title>T</title></head><body><article><p>Russia announced on September 10th that its "
    b"forces were withdrawing from the Kharkov region.</p></article></body></html>",
    ".jsonl": (json.dumps({"id": "1", "text": "Moscow explained the withdrawal.", "published": "2022-09-13"})
               + "\n" + json.dumps({"id": "2", "text": "Pushilin said there was fighting."}) + "\n").encode(),
    ".csv": b'id,text,published\n1,"Moscow explained, briefly.",2022-09-13\n2,Pushilin said so.,\n',
}
SUFFIXES = sorted({".txt", ".html", ".jsonl", ".csv"} & set(READERS))


def _run(suffix: str, data: bytes) -> None:
    for item in READERS[suffix](io.BytesIO(data), f"fuzz{suffix}", "fuzz", ReadOptions()):
        assert isinstance(item, (ArticleInfo, InputError))
        if isinstance(item, InputError):
            assert str(item).startswith(f"fuzz{suffix}")
        else:
            assert item.text.strip()


@st.composite
def mutated(draw, suffix):
    data = bytearray(VALID[suffix])
    for _ in range(draw(st.integers(0, 8))):
        choice = draw(st.integers(0, 3))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if choice == 0 and data:
            data[position] = draw(st.integers(0, 255))
        elif choice == 1:
            data[position:position] = draw(st.binary(max_size=16))
        elif choice == 2:
            del data[position : position + draw(st.integers(1, 16))]
        else:
            data = data[: position]
    return bytes(data)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=2048))
def test_random_bytes_never_raise(suffix, data):
    _run(suffix, data)


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), text=st.text(max_size=1024))
def test_random_text_never_raises(suffix, text):
    _run(suffix, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.data(), suffix=st.sampled_from(SUFFIXES))
def test_mutated_valid_input_never_raises(data, suffix):
    _run(suffix, data.draw(mutated(suffix)))
