"""The bag-of-n-grams half of the text classifier, registered with spaCy.

spaCy's own `TextCatBOW` hashes case-sensitive word n-grams. On short, noisy customer text the
strongest linear signal also comes from sub-word pieces (typos, slang, "refund"/"refunded",
emoji runs), so this linear model sees:

- word n-grams (1..`word_ngrams`) over the token NORM (lower case, "n't" -> "not");
- character n-grams (`char_min`..`char_max`) of each NORM padded with spaces, so that word edges count;

- optionally (`identity`), the raw @handles and URL domains that the normaliser replaced by
  `xxuser`/`xxurl` (the tokenizer leaves them in `doc.user_data`): one hashed key per handle or
  domain plus the character n-grams of the handle, as a third group. The placeholder stays a word,
  so "mentions a user" still generalises, and on other people's data *which* account is addressed
  can count too;

each group weighted 1 + log(count) and scaled to unit length, like a sublinear TF vector, so a long
call transcript and a short tweet speak at the same volume. Keys are hashed into a `SparseLinear`
table. It is used on its own (`complaints.NgramBOW.v1`, fast) and as the linear half of spaCy's
`TextCatEnsemble.v2` next to a CNN over MultiHashEmbed(NORM, PREFIX, SUFFIX, SHAPE).
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

import numpy as np
from spacy.attrs import NORM
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import hash_string  # type: ignore[attr-defined]
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, with_cpu
from thinc.layers.resizable import resize_linear_weighted
from thinc.layers.softmax_activation import softmax_activation

from classification.tokenizer import IDENTITY_KEY

_NEG_VALUE = -5000
_DOC_KEY = np.uint64(hash_string("\x00doc"))
# Character n-grams of a word never change: compute them once per NORM per process.
_CHAR_CACHE: dict[tuple[int, int, int], np.ndarray] = {}
_CHAR_CACHE_MAX = 300_000


def _char_keys(norm_id: int, text: str, char_min: int, char_max: int) -> np.ndarray:
    cache_key = (norm_id, char_min, char_max)
    keys = _CHAR_CACHE.get(cache_key)
    if keys is None:
        padded = f" {text} "
        grams = {padded[i : i + n] for n in range(char_min, char_max + 1) for i in range(max(len(padded) - n + 1, 0))}
        keys = np.fromiter((hash_string("\x01" + g) for g in grams), dtype=np.uint64, count=len(grams))
        if len(_CHAR_CACHE) >= _CHAR_CACHE_MAX:
            _CHAR_CACHE.clear()  # a crude bound: the working set refills quickly
        _CHAR_CACHE[cache_key] = keys
    return keys


def _weighted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys with 1 + log(count) weights scaled to unit L2 length."""
    if keys.size == 0:
        return keys, np.zeros(0, dtype="f")
    uniq, counts = np.unique(keys, return_counts=True)
    values = 1.0 + np.log(counts.astype("f"))
    values /= np.sqrt(np.dot(values, values))
    return uniq, values.astype("f")


def _features_forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
    ops = model.ops
    word_n: int = model.attrs["word_ngrams"]
    char_min: int = model.attrs["char_min"]
    char_max: int = model.attrs["char_max"]
    identity: bool = model.attrs.get("identity", False)
    batch_keys: list[np.ndarray] = []
    batch_vals: list[np.ndarray] = []
    cache_key = ("complaints.ngram_features", word_n, char_min, char_max, identity)
    for doc in docs:
        user_data = cast(dict[Any, Any], doc.user_data)
        cached = user_data.get(cache_key)
        if cached is not None:
            # Training sees the same Doc objects every epoch: extract their features once.
            batch_keys.append(cached[0])
            batch_vals.append(cached[1])
            continue
        norms = doc.to_array(NORM).astype(np.uint64)
        parts: list[Any] = [norms] + [ops.ngrams(n, cast(Any, norms)) for n in range(2, word_n + 1) if norms.size >= n]
        wkeys, wvals = _weighted(np.concatenate(parts) if parts else norms)
        keys = [np.asarray([_DOC_KEY], dtype=np.uint64), wkeys]
        vals = [np.ones(1, dtype="f"), wvals]
        if char_max >= char_min > 0 and norms.size:
            strings = doc.vocab.strings
            chars = np.concatenate([_char_keys(int(n), strings[int(n)], char_min, char_max) for n in norms])
            ckeys, cvals = _weighted(chars)
            keys.append(ckeys)
            vals.append(cvals)
        ids = user_data.get(IDENTITY_KEY) if identity else None
        if ids:
            id_parts = [np.fromiter((hash_string("\x02" + i) for i in ids), dtype=np.uint64, count=len(ids))]
            if char_max >= char_min > 0:
                # Keyed by the hash, not added to the vocab: handles must not be written out as strings.
                id_parts += [
                    _char_keys(int(hash_string(i)), i.lstrip("@"), char_min, char_max) for i in ids if i.startswith("@")
                ]
            ikeys, ivals = _weighted(np.concatenate(id_parts))
            keys.append(ikeys)
            vals.append(ivals)
        doc_keys, doc_vals = np.concatenate(keys), np.concatenate(vals)
        user_data[cache_key] = (doc_keys, doc_vals)
        batch_keys.append(doc_keys)
        batch_vals.append(doc_vals)
    lengths = np.asarray([k.shape[0] for k in batch_keys], dtype="int32")
    out = (
        ops.asarray(cast(Any, np.concatenate(batch_keys))),
        ops.asarray(cast(Any, np.concatenate(batch_vals)), dtype="f"),
        ops.asarray(cast(Any, lengths), dtype="int32"),
    )
    return out, lambda d_out: []


@registry.layers("complaints.ngram_features.v1")
def ngram_features(word_ngrams: int = 2, char_min: int = 3, char_max: int = 5, identity: bool = False) -> Model:
    return Model(
        "ngram_features",
        _features_forward,
        attrs={"word_ngrams": word_ngrams, "char_min": char_min, "char_max": char_max, "identity": identity},
    )


@registry.architectures("complaints.NgramBOW.v1")
def build_ngram_bow(
    exclusive_classes: bool,
    word_ngrams: int = 2,
    char_min: int = 3,
    char_max: int = 5,
    length: int = 2**20,
    no_output_layer: bool = False,
    nO: int | None = None,
    identity: bool = False,
) -> Model:
    """Sparse linear classifier over word and character n-grams (see the module docstring)."""
    fill_defaults = {"b": 0, "W": 0}
    sparse = SparseLinear_v2(nO=nO, length=length)
    output_layer = None
    if not no_output_layer:
        fill_defaults["b"] = _NEG_VALUE
        output_layer = softmax_activation() if exclusive_classes else Logistic()
    resizable_layer: Model = resizable(
        sparse, resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults)
    )
    features = ngram_features(word_ngrams, char_min, char_max, identity)
    model: Model = with_cpu(chain(features, resizable_layer), sparse.ops)
    if output_layer is not None:
        model = chain(model, with_cpu(output_layer, output_layer.ops))
    if nO is not None:
        model.set_dim("nO", cast(int, nO))
    model.set_ref("output_layer", sparse)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
