"""Training one task's spaCy pipeline: blank English, the normalising tokenizer, one `textcat`.

The complaint task learns six exclusive classes when the data says why a text is not a complaint
(`complaint`, `not_complaint:spam`, ...): P(complaint) is one of them and the reason comes for free
from the same forward pass. The category task learns the taxonomy slugs from complaints only.

Training is deterministic for a given seed: thinc's `fix_random_seed`, a seeded shuffle, a fixed
batch size and CPU maths. The epoch kept is the one with the lowest dev log-loss (early stopping; on a
small dev split the smooth log-loss picks epochs far more reliably than macro-F1 does), and
the decision rule (a probability threshold for two classes, a minimum confidence before falling back
to "other" for categories) is tuned on dev too.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import minibatch
from thinc.api import Adam, fix_random_seed

import classification.features  # noqa: F401  (registers the architectures)
from classification.corpus import COMPLAINT, NOT_COMPLAINT, TaskExample
from classification.metrics import classification_report
from classification.tokenizer import TOKENIZER_CONFIG, TOKENIZER_CONFIG_WITHOUT_SENTIMENT

logger = logging.getLogger(__name__)

FINE_SEP = ":"
# Fewer dev examples than this and the decision rule is not tuned (see tune_decision).
MIN_DEV_FOR_TUNING = 200


@dataclass(frozen=True)
class TrainConfig:
    # bow: our word + character n-gram BOW | ensemble: spaCy's TextCatEnsemble.v2 (that BOW + a CNN over
    # MultiHashEmbed) | spacy_bow: spaCy's stock TextCatBOW.v3 (word n-grams only), for comparison
    architecture: str = "bow"
    width: int = 64
    depth: int = 2
    embed_rows: int = 5000
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 5
    hash_length: int = 2**19
    epochs: int = 20
    patience: int = 4
    dropout: float = 0.2
    learn_rate: float = 0.001
    batch_size: int = 16
    use_averages: bool = True
    joint_reasons: bool = True
    normalise: bool = True  # the rule-based normaliser in front of the tokenizer
    select_by: str = "log_loss"  # the dev criterion that picks the epoch: log_loss | macro_f1
    l2: float = 1e-6
    # The raw @handles and URL domains as extra hashed features beside `xxuser`/`xxurl` (features.py).
    identity_features: bool = True
    # `xxneg` / `xxpos` before listed sentiment words (classification/sentiment.py): what the model
    # learns about "appalling" carries over to "dreadful", which the corpus may not contain.
    sentiment_markers: bool = True
    # After the epoch and the decision rule are chosen on dev, train again from scratch on fit + dev
    # for that many epochs (same seed): the model does not give up a tenth of its data for tuning.
    refit: bool = True
    seed: int = 13

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The small, fast configuration for tests and first start-up checks.
FAST_CONFIG = TrainConfig(
    architecture="bow", epochs=6, patience=2, hash_length=2**18, select_by="macro_f1", refit=False
)


@dataclass(frozen=True)
class Decision:
    """How class probabilities become one label."""

    kind: str  # binary | argmax
    positive: str = ""
    threshold: float = 0.5
    fallback: str = ""
    min_confidence: float = 0.0

    def apply(self, scores: np.ndarray, labels: Sequence[str]) -> list[str]:
        if self.kind == "binary":
            pos = labels.index(self.positive)
            neg = labels[1 - pos]
            return [self.positive if row[pos] >= self.threshold else neg for row in scores]
        best = scores.argmax(axis=1)
        out = [labels[i] for i in best]
        if self.fallback and self.min_confidence > 0:
            top = scores.max(axis=1)
            out = [self.fallback if top[i] < self.min_confidence else out[i] for i in range(len(out))]
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(**data)


@dataclass
class TaskModel:
    """A trained task pipeline and what is needed to turn its scores into labels."""

    task: str
    nlp: Language
    component: str
    labels: list[str]  # the task's classes (coarse)
    fine_labels: list[str]  # the component's classes
    decision: Decision
    info: dict[str, Any] = field(default_factory=dict)

    def scores(self, texts: Sequence[str], *, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """(class scores, fine scores) for raw texts, one row per text."""
        fine = fine_scores(self.nlp, self.component, self.fine_labels, texts, batch_size=batch_size)
        return coarse_scores(fine, self.fine_labels, self.labels), fine

    def predict(self, texts: Sequence[str]) -> list[str]:
        coarse, _ = self.scores(texts)
        return self.decision.apply(coarse, self.labels)


def fine_label(example: TaskExample, joint_reasons: bool) -> str:
    if joint_reasons and example.label == NOT_COMPLAINT and example.reason:
        return f"{NOT_COMPLAINT}{FINE_SEP}{example.reason}"
    return example.label


def coarse_of(fine: str) -> str:
    prefix = NOT_COMPLAINT + FINE_SEP
    return NOT_COMPLAINT if fine.startswith(prefix) else fine


def fine_scores(
    nlp: Language, component: str, fine_labels: Sequence[str], texts: Sequence[str], *, batch_size: int = 256
) -> np.ndarray:
    out = np.zeros((len(texts), len(fine_labels)), dtype="float32")
    disabled = [name for name in nlp.pipe_names if name != component]
    for i, doc in enumerate(nlp.pipe(texts, batch_size=batch_size, disable=disabled)):
        cats = doc.cats
        out[i] = [cats.get(label, 0.0) for label in fine_labels]
    return out


def coarse_scores(fine: np.ndarray, fine_labels: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    if list(fine_labels) == list(labels):
        return fine
    out = np.zeros((fine.shape[0], len(labels)), dtype="float32")
    for j, label in enumerate(fine_labels):
        out[:, labels.index(coarse_of(label))] += fine[:, j]
    return out


def component_config(config: TrainConfig) -> dict[str, Any]:
    bow = {
        "@architectures": "complaints.NgramBOW.v1",
        "exclusive_classes": True,
        "word_ngrams": config.word_ngrams,
        "char_min": config.char_min,
        "char_max": config.char_max,
        "length": config.hash_length,
        "no_output_layer": False,
    }
    if config.identity_features and config.normalise:
        bow["identity"] = True
    if config.architecture == "bow":
        return bow
    if config.architecture == "spacy_bow":
        return {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": True,
            "ngram_size": config.word_ngrams,
            "no_output_layer": False,
            "length": config.hash_length,
        }
    if config.architecture != "ensemble":
        raise ValueError(f"unknown architecture {config.architecture!r}")
    rows = config.embed_rows
    return {
        "@architectures": "spacy.TextCatEnsemble.v2",
        "linear_model": bow,
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": config.width,
                # NORM for the word, PREFIX/SUFFIX/SHAPE for sub-word signal (typos, slang, numbers).
                "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                "rows": [rows, rows // 2, rows // 2, rows // 4],
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": config.width,
                "depth": config.depth,
                "window_size": 1,
                "maxout_pieces": 3,
            },
        },
    }


def blank_pipeline(task: str, fine_labels: Sequence[str], config: TrainConfig) -> Language:
    tokenizer = TOKENIZER_CONFIG if config.sentiment_markers else TOKENIZER_CONFIG_WITHOUT_SENTIMENT
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": tokenizer}} if config.normalise else {})
    textcat = nlp.add_pipe("textcat", name=f"textcat_{task}", config={"model": component_config(config)})
    for label in fine_labels:
        textcat.add_label(label)  # type: ignore[attr-defined]
    return nlp


def tune_decision(gold: Sequence[str], scores: np.ndarray, labels: Sequence[str]) -> Decision:
    """The decision rule with the best macro-F1 on these (dev) labels.

    Below MIN_DEV_FOR_TUNING examples the plain rule (threshold 0.5, argmax) is kept: a threshold
    fitted to a few dozen examples follows their noise (measured on a 366-tweet set, where tuning on
    ~30 dev examples cost several points of macro-F1).
    """
    labels = list(labels)
    if len(labels) == 2:
        positive = COMPLAINT if COMPLAINT in labels else labels[1]
        if len(gold) < MIN_DEV_FOR_TUNING:
            return Decision(kind="binary", positive=positive, threshold=0.5)
        best: tuple[float, float, Decision] | None = None
        for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
            decision = Decision(kind="binary", positive=positive, threshold=float(threshold))
            f1 = classification_report(gold, decision.apply(scores, labels), labels=labels)["macro_f1"]
            # Prefer thresholds near 0.5 among equals: small dev sets reward luck at the edges.
            key = (f1, -abs(threshold - 0.5))
            if best is None or key > best[:2]:
                best = (f1, -abs(threshold - 0.5), decision)
        assert best is not None
        return best[2]
    fallback = "other" if "other" in labels and len(gold) >= MIN_DEV_FOR_TUNING else ""
    candidates = [0.0] + ([0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5] if fallback else [])
    scored = []
    for confidence in candidates:
        decision = Decision(kind="argmax", fallback=fallback, min_confidence=confidence)
        f1 = classification_report(gold, decision.apply(scores, labels), labels=labels)["macro_f1"]
        scored.append((f1, -confidence, decision))
    return max(scored, key=lambda item: item[:2])[2]


@dataclass
class TrainResult:
    model: TaskModel
    dev_report: dict[str, Any]
    best_epoch: int
    epochs_run: int
    seconds: float
    history: list[float]


def train_task_model(
    train: Sequence[TaskExample],
    dev: Sequence[TaskExample],
    *,
    task: str,
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train on `train`, keep the epoch with the best dev criterion, tune the decision on `dev`.

    With `config.refit` the chosen number of epochs is then run again from scratch (same seed) on
    train + dev, and that model is kept with the decision rule chosen on dev. The dev report is the
    one of the model before the refit, which had not seen dev: an honest held-out figure.
    """
    if not train:
        raise ValueError("no training examples")
    if not dev:
        raise ValueError("no dev examples: the decision threshold and early stopping need them")
    started = time.perf_counter()
    labels = sorted({e.label for e in train} | {e.label for e in dev})
    if len(labels) < 2:
        raise ValueError(f"the {task} task needs at least two classes, found {labels}")
    joint = config.joint_reasons and task == "complaint" and labels == [COMPLAINT, NOT_COMPLAINT]
    if joint and any(e.label == NOT_COMPLAINT and not e.reason for e in [*train, *dev]):
        joint = False  # only learn reasons when every non-complaint has one
    fine_labels = sorted({fine_label(e, joint) for e in [*train, *dev]})
    component = f"textcat_{task}"
    logging.getLogger("spacy").setLevel(logging.WARNING)  # "Created vocabulary" on every fold is noise
    dev_gold = [e.label for e in dev]
    dev_texts = [e.text for e in dev]
    best: tuple[float, int, bytes, Decision] | None = None
    history: list[float] = []

    def on_epoch(epoch: int, nlp: Language, dev_docs: list[Any]) -> bool:
        """Score dev after an epoch (averaged weights in place); False stops training."""
        nonlocal best
        pipe = nlp.get_pipe(component)
        scored = pipe.pipe(dev_docs, batch_size=256)  # type: ignore[attr-defined]
        fine = np.array([[doc.cats.get(label, 0.0) for label in fine_labels] for doc in scored], dtype="float32")
        scores = coarse_scores(fine, fine_labels, labels)
        decision = tune_decision(dev_gold, scores, labels)
        f1 = classification_report(dev_gold, decision.apply(scores, labels), labels=labels)["macro_f1"]
        history.append(f1)
        # log_loss: a smooth criterion, far less noisy than F1 on a small dev split.
        criterion = f1 if config.select_by == "macro_f1" else -_log_loss(dev_gold, scores, labels)
        if best is None or criterion > best[0]:
            best = (criterion, epoch, pipe.model.to_bytes(), decision)  # type: ignore[attr-defined]
        if log:
            log(f"{task} epoch {epoch}: dev macro-F1 {f1:.4f}")
        return epoch - best[1] < config.patience

    nlp, epochs_run = _fit(
        train,
        task=task,
        fine_labels=fine_labels,
        joint=joint,
        config=config,
        epochs=config.epochs,
        dev_texts=dev_texts,
        on_epoch=on_epoch,
    )
    assert best is not None
    pipe = nlp.get_pipe(component)
    pipe.model.from_bytes(best[2])  # type: ignore[attr-defined]
    model = TaskModel(task=task, nlp=nlp, component=component, labels=labels, fine_labels=fine_labels, decision=best[3])
    scores, _ = model.scores(dev_texts)
    dev_report = classification_report(
        dev_gold, model.decision.apply(scores, labels), labels=labels, scores=scores, positive=model.decision.positive
    )
    refit = config.refit
    if refit:
        if log:
            log(f"{task}: refit on train + dev for {best[1]} epochs")
        model.nlp, _ = _fit(
            [*train, *dev], task=task, fine_labels=fine_labels, joint=joint, config=config, epochs=best[1]
        )
    model.info = {"best_epoch": best[1], "epochs_run": epochs_run, "refit": refit, "config": config.to_dict()}
    return TrainResult(
        model=model,
        dev_report=dev_report,
        best_epoch=best[1],
        epochs_run=epochs_run,
        seconds=time.perf_counter() - started,
        history=history,
    )


def _fit(
    train: Sequence[TaskExample],
    *,
    task: str,
    fine_labels: Sequence[str],
    joint: bool,
    config: TrainConfig,
    epochs: int,
    dev_texts: Sequence[str] = (),
    on_epoch: Callable[[int, Language, list[Any]], bool] | None = None,
) -> tuple[Language, int]:
    """A fresh pipeline trained for up to `epochs` epochs, deterministically for the seed.

    After each epoch `on_epoch` (if given) sees the pipeline with the averaged weights in place and
    may stop training; the pipeline returned holds the averaged weights of the last epoch run.
    """
    fix_random_seed(config.seed)
    nlp = blank_pipeline(task, fine_labels, config)
    examples = [
        Example.from_dict(nlp.make_doc(e.text), {"cats": _one_hot(fine_label(e, joint), fine_labels)}) for e in train
    ]
    optimizer = Adam(learn_rate=config.learn_rate, L2=config.l2, grad_clip=1.0, use_averages=config.use_averages)
    nlp.initialize(lambda: examples, sgd=optimizer)
    pipe = nlp.get_pipe(f"textcat_{task}")
    dev_docs = [nlp.make_doc(text) for text in dev_texts]  # tokenised once, scored every epoch
    rng = random.Random(config.seed)
    order = list(range(len(examples)))
    epoch = 0
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        losses: dict[str, float] = {}
        for batch in minibatch([examples[i] for i in order], size=config.batch_size):
            nlp.update(batch, drop=config.dropout, sgd=optimizer, losses=losses)
        with nlp.use_params(optimizer.averages) if config.use_averages else _nullcontext():
            keep_going = on_epoch(epoch, nlp, dev_docs) if on_epoch else True
            final = pipe.model.to_bytes() if epoch == epochs or not keep_going else None  # type: ignore[attr-defined]
        if final is not None:
            pipe.model.from_bytes(final)  # type: ignore[attr-defined]
            break
    return nlp, epoch


def _log_loss(gold: Sequence[str], scores: np.ndarray, labels: Sequence[str]) -> float:
    index = {label: i for i, label in enumerate(labels)}
    picked = scores[np.arange(len(gold)), [index[g] for g in gold]]
    return float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))


def _one_hot(label: str, labels: Sequence[str]) -> dict[str, float]:
    return {name: 1.0 if name == label else 0.0 for name in labels}


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
