"""The subject model: tf-idf words, one linear classifier per heading, a tuned threshold.

Annif's simplest strong set-up, built from scikit-learn: the words of a work (as the engines
analyse them, so CJK becomes bigrams) weighted by tf-idf, a logistic regression per heading
(one-vs-rest), blended with the headings of the nearest catalogued works. A suggestion is
made only when

- its score reaches the threshold tuned on a validation split of the training works (never on
  the works a benchmark tests with), and
- the heading was catalogued on training works in the record's own language, so a Nepali
  record is never handed an English heading the model has no Nepali evidence for; a record
  with no word the model knows gets nothing.

Each suggestion says which of the record's words drove it (their weight times the heading's
coefficient), and the model says who it is: id, when trained, on how many works.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from ai.corpus import Example, split_label, tokens
from ai.provenance import Provenance, Suggestion

#: A heading is learnt only from at least this many training works.
MIN_LABEL_WORKS = 2
#: Suggestions kept per work at most.
DEFAULT_K = 5
#: Share of the training works held out to tune the threshold.
VALIDATION_SHARE = 0.15
#: Nearest catalogued works whose headings vote, and the share of the blend they get.
NEIGHBOURS = 10
NEIGHBOUR_WEIGHT = 0.5
#: Words named as the reason of one suggestion, and the idf below which a word is too common
#: to be named (scikit-learn's smooth idf of a word in a twentieth of the works: 1 + ln 20).
EXPLAINING_WORDS = 5
COMMON_WORD_IDF = 1.0 + float(np.log(20.0))
#: Inverse regularisation of each heading's logistic regression.
LINEAR_C = 10.0
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.61, 0.025))


class ModelError(Exception):
    """No model can be trained or loaded (no catalogued works, no model file)."""


@dataclass
class SubjectModel:
    vectorizer: TfidfVectorizer
    classifier: OneVsRestClassifier
    labels: list[str]
    #: label -> languages of the training works catalogued with it
    label_languages: dict[str, frozenset[str]]
    #: the training works' vectors and label matrix, for the neighbours' vote
    train_vectors: Any
    train_labels: Any
    provenance: Provenance
    metrics: dict[str, float] = field(default_factory=dict)
    _names: np.ndarray | None = field(default=None, repr=False)

    # -- scoring ------------------------------------------------------------------------
    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, per label: the blended score in [0, 1]."""
        vectors = self.vectorizer.transform(texts)
        linear = self.classifier.predict_proba(vectors)
        similarity = (vectors @ self.train_vectors.T).toarray()
        votes = np.zeros_like(linear)
        for row, sims in enumerate(similarity):
            nearest = np.argsort(-sims)[:NEIGHBOURS]
            weights = sims[nearest]
            if weights.sum() > 0:
                votes[row] = weights @ self.train_labels[nearest].toarray() / weights.sum()
        blended = (1 - NEIGHBOUR_WEIGHT) * linear + NEIGHBOUR_WEIGHT * votes
        blended[np.asarray(vectors.sum(axis=1)).ravel() == 0] = 0.0  # no known word
        return blended

    def suggest(
        self, examples: Sequence[Example], k: int = DEFAULT_K, threshold: float | None = None
    ) -> list[list[Suggestion]]:
        """Up to `k` suggestions per example, best first, above the threshold."""
        if not examples:
            return []
        cut = self.provenance.threshold if threshold is None else threshold
        texts = [e.text for e in examples]
        scores = self.scores(texts)
        vectors = self.vectorizer.transform(texts)
        out = []
        for row, example in enumerate(examples):
            ranked = np.argsort(-scores[row])
            chosen: list[Suggestion] = []
            for index in ranked:
                score = float(scores[row, index])
                if score < cut or len(chosen) >= k:
                    break
                if not self._has_language_evidence(self.labels[index], example.language):
                    continue
                chosen.append(self._suggestion(index, score, vectors[row]))
            out.append(chosen)
        return out

    def _has_language_evidence(self, label: str, language: str) -> bool:
        return not language or language in self.label_languages.get(label, frozenset())

    def _suggestion(self, index: int, score: float, vector: Any) -> Suggestion:
        heading, scheme = split_label(self.labels[index])
        return Suggestion(heading, scheme, round(score, 4), self.explain(index, vector))

    def explain(self, index: int, vector: Any) -> tuple[str, ...]:
        """The record's words with the largest weight x coefficient for this label."""
        coef = self.classifier.estimators_[index].coef_.ravel()
        row = sparse.csr_matrix(vector)
        contributions = row.data * coef[row.indices]
        names = self._feature_names()
        # a word in more than a twentieth of the training works ("a", "de"), or a Latin
        # word of one or two letters, explains nothing
        common = self.vectorizer.idf_[row.indices] < COMMON_WORD_IDF
        short = np.array([len(w) < 3 and w.isascii() for w in names[row.indices]], dtype=bool)
        contributions[common | short] = 0.0
        strongest = np.argsort(-contributions)[:EXPLAINING_WORDS]
        return tuple(str(names[row.indices[i]]) for i in strongest if contributions[i] > 0)

    def _feature_names(self) -> np.ndarray:
        if self._names is None:
            self._names = self.vectorizer.get_feature_names_out()
        return self._names


# -- training ---------------------------------------------------------------------------
def _fit(examples: Sequence[Example], provenance: Provenance) -> SubjectModel:
    counts = Counter(lab for e in examples for lab in e.labels)
    kept = sorted(lab for lab, n in counts.items() if n >= MIN_LABEL_WORKS)
    if not kept:
        raise ModelError(f"no heading is catalogued on {MIN_LABEL_WORKS} or more works")
    kept_set = set(kept)
    vectorizer = TfidfVectorizer(
        tokenizer=tokens, lowercase=False, token_pattern=None, sublinear_tf=True, min_df=1
    )
    vectors = vectorizer.fit_transform([e.text for e in examples])
    binarizer = MultiLabelBinarizer(classes=kept)
    y = binarizer.fit_transform([[lab for lab in e.labels if lab in kept_set] for e in examples])
    classifier = OneVsRestClassifier(LogisticRegression(C=LINEAR_C, solver="liblinear", dual=True))
    classifier.fit(vectors, y)
    languages: dict[str, set[str]] = {}
    for e in examples:
        for lab in e.labels:
            languages.setdefault(lab, set()).add(e.language)
    return SubjectModel(
        vectorizer,
        classifier,
        kept,
        {lab: frozenset(langs) for lab, langs in languages.items() if lab in kept_set},
        vectors,
        sparse.csr_matrix(y),
        provenance,
    )


def validation_split(
    examples: Sequence[Example], share: float = VALIDATION_SHARE, salt: str = "validation"
) -> tuple[list[Example], list[Example]]:
    """Deterministic split by a hash of the work id and `salt` (the same works each time;
    another salt, such as a benchmark's test split, draws other works)."""
    fit: list[Example] = []
    held: list[Example] = []
    for e in examples:
        digest = int(hashlib.sha1(f"{salt}:{e.work_id}".encode()).hexdigest()[:8], 16)
        (held if digest % 1000 < share * 1000 else fit).append(e)
    return fit, held


def tune_threshold(model: SubjectModel, validation: Sequence[Example], k: int) -> float:
    """The threshold with the best F1@k on `validation` (ties: the higher, more cautious)."""
    from ai.evaluation import evaluate

    best, best_f1 = THRESHOLDS[0], -1.0
    ranked = model.suggest(validation, k=k, threshold=0.0)
    for t in THRESHOLDS:
        cut = [[s for s in found if s.score >= t] for found in ranked]
        f1 = evaluate(validation, cut, k)["f1@5"]
        if f1 >= best_f1:
            best, best_f1 = t, f1
    return float(best)


def train(examples: Sequence[Example], k: int = DEFAULT_K, now: datetime | None = None):
    """A model from catalogued works: fit on most, tune the threshold on the rest, then
    fit again on all of them with that threshold."""
    catalogued = [e for e in examples if e.labels]
    if len(catalogued) < 10:
        raise ModelError(f"{len(catalogued)} works with headings: too few to learn from")
    when = (now or datetime.now(UTC)).replace(microsecond=0)
    digest = hashlib.sha1("\n".join(sorted(e.work_id for e in catalogued)).encode())
    model_id = f"subjects-{when:%Y%m%dT%H%M%SZ}-{digest.hexdigest()[:6]}"
    fit, held = validation_split(catalogued)
    draft = _fit(fit, Provenance(model_id, when.isoformat(), len(fit), 0.0))
    threshold = tune_threshold(draft, held, k)
    model = _fit(catalogued, Provenance(model_id, when.isoformat(), len(catalogued), threshold))
    model.metrics = {"validation_works": float(len(held)), "threshold": threshold}
    return model


# -- on disk ----------------------------------------------------------------------------
def model_dir(data_dir: Path) -> Path:
    return data_dir / "ai"


def save(model: SubjectModel, data_dir: Path) -> Path:
    """The model's file, and `subjects.json` naming it as the current one."""
    directory = model_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.provenance.model_id}.joblib"
    joblib.dump(model, path)
    meta = {
        **model.provenance.__dict__,
        "file": path.name,
        "labels": len(model.labels),
        **model.metrics,
    }
    current = directory / "subjects.json"
    temporary = current.with_suffix(".tmp")
    temporary.write_text(json.dumps(meta, indent=2))
    temporary.replace(current)
    return path


def current_meta(data_dir: Path) -> dict[str, Any] | None:
    path = model_dir(data_dir) / "subjects.json"
    return json.loads(path.read_text()) if path.is_file() else None


def load(data_dir: Path) -> SubjectModel:
    """The current model (written by `save` in this data directory, so trusted)."""
    meta = current_meta(data_dir)
    if meta is None:
        raise ModelError(f"no subject model in {model_dir(data_dir)}: run `fedcat ai train`")
    return joblib.load(model_dir(data_dir) / meta["file"])
