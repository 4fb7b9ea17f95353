"""spaCy's English tokenizer behind the rule-based normaliser, as one registered tokenizer.

Putting the normaliser inside the pipeline makes a saved model self-contained: `nlp.pipe(raw_texts)`
does exactly what training did, and no caller can forget the normalisation step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import registry

from classification.normalise import identity_tokens, normalise_text
from classification.sentiment import sentiment_marked

# v2 adds the sentiment markers (classification/sentiment.py); models saved with v1 keep v1.
TOKENIZER_CONFIG = {"@tokenizers": "complaints.NormalisingTokenizer.v2"}
TOKENIZER_CONFIG_WITHOUT_SENTIMENT = {"@tokenizers": "complaints.NormalisingTokenizer.v1"}
# Where the tokenizer leaves the raw handles and URL domains that the normaliser replaced.
IDENTITY_KEY = "complaints.identity"


class NormalisingTokenizer:
    def __init__(self, base: Tokenizer, *, sentiment: bool = False) -> None:
        self.base = base
        self.sentiment = sentiment

    def __call__(self, text: str) -> Doc:
        normalised = normalise_text(text)
        doc = self.base(sentiment_marked(normalised) if self.sentiment else normalised)
        ids = identity_tokens(text)
        if ids:
            doc.user_data[IDENTITY_KEY] = ids  # type: ignore[index]
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    # Serialisation is the wrapped tokenizer's: the normaliser has no state of its own.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        self.base.to_disk(path, exclude=exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> NormalisingTokenizer:
        self.base.from_disk(path, exclude=exclude)
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return self.base.to_bytes(exclude=exclude)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> NormalisingTokenizer:
        self.base.from_bytes(data, exclude=exclude)
        return self

    def __getattr__(self, name: str) -> Any:
        # Anything else (rules, explain, ...) is the wrapped tokenizer's.
        return getattr(self.base, name)


@registry.tokenizers("complaints.NormalisingTokenizer.v1")
def create_normalising_tokenizer() -> Callable[[Language], NormalisingTokenizer]:
    def create(nlp: Language) -> NormalisingTokenizer:
        base = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        return NormalisingTokenizer(base)

    return create


@registry.tokenizers("complaints.NormalisingTokenizer.v2")
def create_sentiment_marking_tokenizer() -> Callable[[Language], NormalisingTokenizer]:
    def create(nlp: Language) -> NormalisingTokenizer:
        base = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        return NormalisingTokenizer(base, sentiment=True)

    return create
