"""Training: corpus in, verified model bundle out.

The corpus is a table (Parquet or JSONL) with at least ``text``, ``label`` (0/1) and ``split``
(``train``/``validation``/``test``). Only the training split fits the subwords and the weights;
the validation split fits the calibration and freezes the operating points; the test split is
never read here. Every random choice takes ``seed``: the same corpus and seed give identical
weights (and an identical bundle, timestamps excepted: bundles carry none).
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from icop import __version__
from icop.errors import InputError
from icop.features import FeatureSpace, Featuriser, subwords
from icop.io import tables
from icop.keywords import KeywordList, KeywordMatcher
from icop.model import bundle
from icop.model import calibration as thresholds
from icop.model.base import SCALE_BITS
from icop.model.baselines import TfidfModel, keyword_model
from icop.model.card import render_card
from icop.model.linear import LinearModel
from icop.progress import Progress, report
from icop.synth.schema import SPLITS, TRAINING_COLUMNS
from icop.text.languages import LANGUAGES
from icop.text.normalize import normalize

BASELINES = ("keywords", "tfidf")
FEATURE_CHUNK = 50_000
_PACKAGES = ("numpy", "scipy", "scikit-learn", "sentencepiece", "pyarrow", "regex", "pyicu-wheels", "pythainlp", "opencc")


class TrainingError(InputError):
    """A training input that cannot be used; names the file, the column or split, and the fix."""


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    ngram_bits: int = 20
    skel_bits: int = 18
    subword_vocab: int = 8000
    alpha: float = 1e-5  # chosen on the open-world corpus (docs/ARCHITECTURE.md)
    epochs: int = 15


@dataclass
class Corpus:
    path: str
    sha256: str
    texts: dict[str, list[str]]
    labels: dict[str, np.ndarray]

    def counts(self) -> dict[str, dict[str, int]]:
        return {s: {"rows": len(self.texts[s]), "positives": int(self.labels[s].sum())} for s in self.texts}


def load_corpus(path: str | Path) -> Corpus:
    """Read and check a training table; fails early with the file and the problem."""
    table = tables.read_table(path)
    missing = [c for c in TRAINING_COLUMNS if c not in table.column_names]
    if missing:
        raise TrainingError(f"{path}: missing column(s) {missing}; a training table needs {list(TRAINING_COLUMNS)}")
    columns = {c: table.column(c).to_pylist() for c in TRAINING_COLUMNS}
    if "lang" in table.column_names:
        unknown = sorted({str(v) for v in table.column("lang").to_pylist()} - set(LANGUAGES))
        if unknown:
            raise TrainingError(f"{path}: unknown language(s) {unknown[:5]} in column 'lang'; use {', '.join(LANGUAGES)}")
    bad_labels = sorted({repr(v) for v in columns["label"]} - {"0", "1", "True", "False"})
    if bad_labels:
        raise TrainingError(f"{path}: labels must be 0 or 1 (found {bad_labels[:5]}) in column 'label'")
    texts: dict[str, list[str]] = {s: [] for s in SPLITS}
    labels: dict[str, list[int]] = {s: [] for s in SPLITS}
    for text, label, split in zip(columns["text"], columns["label"], columns["split"]):
        if split not in texts:
            raise TrainingError(f"{path}: split {split!r} is not one of {', '.join(SPLITS)}")
        texts[split].append("" if text is None else str(text))
        labels[split].append(int(label))
    for split in ("train", "validation"):
        if not texts[split]:
            raise TrainingError(f"{path}: the {split} split is empty; a model needs train and validation rows")
        if len(set(labels[split])) < 2:
            raise TrainingError(f"{path}: the {split} split has one class only ({labels[split][0]}); it needs both 0 and 1")
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return Corpus(str(path), digest, texts, {s: np.array(v, dtype=np.int8) for s, v in labels.items()})


@dataclass(frozen=True)
class TrainResult:
    path: Path  # the bundle written
    metrics: dict  # validation metrics and the training time
    run_id: str | None = None  # the MLflow run, when tracked
    version: str | None = None  # of the registered model, when tracked
    gates: object = None  # the icop.model.gates.GateReport, when tracked
    champion: bool = False  # whether the registered version took the alias ``champion``


def train_bundle(
    data: str | Path,
    out: str | Path,
    *,
    keywords: KeywordList,
    baseline: str | None = None,
    seed: int = 0,
    key: bytes | None = None,
    zip_path: str | Path | None = None,
    tracking_uri: str | None = None,
    gates_path: str | Path | None = None,
    quiet: bool = False,
    progress: Progress | None = None,
) -> TrainResult:
    """The whole ``icop train``: check the corpus, fit, write the bundle (and its zip form), and
    when ``tracking_uri`` is given, check the gates (``gates_path``, default eval/gates.toml) and
    log the run to MLflow (``quiet``: without MLflow's own log lines)."""
    from icop.model import gates

    settings = gates.load_gates(gates_path) if tracking_uri else None  # a bad gates file fails before training
    corpus = load_corpus(data)
    result = train(corpus, keywords, out, config=TrainConfig(seed=seed), baseline=baseline, key=key, progress=progress)
    if zip_path:
        bundle.write_zip(result.path, zip_path)
    if tracking_uri is None:
        return result
    from icop.integrations import tracking

    loaded = bundle.load(result.path)
    report(progress, "gates", 0, 1)
    checked = gates.check(loaded, result.metrics, settings, corpus.texts["validation"])
    report(progress, "log to MLflow", 0, 1)
    manifest = {**loaded.manifest, "manifest_sha256": loaded.digest}
    tracked = tracking.log_training(result.path, manifest, result.metrics, tracking_uri, gates=checked, quiet=quiet)
    return replace(result, run_id=tracked.run_id, version=tracked.version, gates=checked, champion=tracked.champion)


def train(
    corpus: Corpus,
    keywords: KeywordList,
    out: str | Path,
    *,
    config: TrainConfig = TrainConfig(),
    baseline: str | None = None,
    key: bytes | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Fit a model (or a baseline) and write its bundle; ``progress`` hears of each stage."""
    started = time.perf_counter()
    normalized = {s: _normalized(corpus.texts[s], s, progress) for s in ("train", "validation")}
    report(progress, "fit", 0, 1)
    if baseline == "tfidf":
        model = TfidfModel.fit([n.norm for n in normalized["train"]], corpus.labels["train"], config.seed)
        val_logits = model.integer_logits_of_texts([n.norm for n in normalized["validation"]])
    else:
        model = _fit_linear(normalized, corpus, keywords, config, key, keywords_only=baseline == "keywords")
        report(progress, "validate", 0, 1)
        val_logits = _logits(model, normalized["validation"])
    y_val = corpus.labels["validation"]
    model.calibration = thresholds.fit_platt(val_logits / (1 << SCALE_BITS), y_val)
    model.operating_points = thresholds.operating_points(val_logits, y_val, model.probabilities)
    metrics = _validation_metrics(model, val_logits, y_val)
    metrics["train_seconds"] = round(time.perf_counter() - started, 1)
    manifest = _manifest(corpus, config, keywords, metrics, baseline)
    card = render_card(model, {**manifest, "icop_version": __version__})
    report(progress, "write the bundle", 0, 1)
    return TrainResult(bundle.write(model, out, manifest, card), metrics)


def _normalized(texts: list[str], split: str, progress: Progress | None) -> list:
    done = []
    for start in range(0, len(texts), FEATURE_CHUNK):
        report(progress, f"normalise {split} names", start, len(texts))
        done += [normalize(t) for t in texts[start : start + FEATURE_CHUNK]]
    return done


def _fit_linear(normalized, corpus: Corpus, keywords: KeywordList, config: TrainConfig, key, keywords_only: bool) -> LinearModel:
    ids = tuple(e.id for e in keywords.entries)
    categories = tuple(sorted({e.category for e in keywords.entries}))
    if keywords_only:
        space = FeatureSpace(ngram_bits=1, skel_bits=1, subword_vocab=0, keyword_ids=ids, categories=categories)
        return keyword_model(keywords, space)
    subword_model = subwords.train([n.norm for n in normalized["train"]], config.subword_vocab, config.seed)
    processor = subwords.load(subword_model)
    space = FeatureSpace(
        ngram_bits=config.ngram_bits,
        skel_bits=config.skel_bits,
        subword_vocab=processor.size,
        keyword_ids=ids,
        categories=categories,
    )
    featuriser = Featuriser(space, processor, KeywordMatcher(keywords, key))
    matrix = _transform(featuriser, normalized["train"]).astype(np.float32)
    classifier = SGDClassifier(
        loss="log_loss",
        penalty="l2",
        alpha=config.alpha,
        max_iter=config.epochs,
        tol=None,
        class_weight="balanced",
        random_state=config.seed,
    )
    classifier.fit(matrix, corpus.labels["train"])
    weights = np.round(classifier.coef_[0] * (1 << SCALE_BITS))
    weights[_reserved_columns(space)] = 0
    limit = np.iinfo(np.int32).max
    return LinearModel(
        kind="linear",
        space=space,
        weights=np.clip(weights, -limit, limit).astype(np.int32),
        intercept=int(round(float(classifier.intercept_[0]) * (1 << SCALE_BITS))),
        calibration=None,  # fitted on validation by the caller
        operating_points={},
        subword_model=subword_model,
        keywords=keywords,
        _featuriser=featuriser,
    )


def _reserved_columns(space: FeatureSpace) -> np.ndarray:
    return np.concatenate([space.reserved_slots("ngram"), space.reserved_slots("skel") + space.offsets["skel"]])


def _transform(featuriser: Featuriser, names) -> sp.csr_matrix:
    return sp.vstack([featuriser.transform(names[i : i + FEATURE_CHUNK]) for i in range(0, len(names), FEATURE_CHUNK)]).tocsr()


def _logits(model: LinearModel, names) -> np.ndarray:
    return np.concatenate(
        [
            model.integer_logits(model.featuriser().transform(names[i : i + FEATURE_CHUNK]))
            for i in range(0, len(names), FEATURE_CHUNK)
        ]
    )


def _validation_metrics(model, logits: np.ndarray, labels: np.ndarray) -> dict:
    probabilities = model.probabilities(logits)
    return {
        "validation_rows": int(labels.size),
        "validation_positives": int(labels.sum()),
        "validation_roc_auc": round(float(roc_auc_score(labels, logits)), 6),
        "validation_average_precision": round(float(average_precision_score(labels, logits)), 6),
        "validation_brier": round(float(brier_score_loss(labels, probabilities)), 6),
        **{f"validation_tpr_at_{name}": round(op.tpr, 6) for name, op in model.operating_points.items()},
        **{f"validation_fpr_at_{name}": round(op.fpr, 6) for name, op in model.operating_points.items()},
    }


def _manifest(corpus: Corpus, config: TrainConfig, keywords: KeywordList, metrics: dict, baseline: str | None) -> dict:
    return {
        "model_name": f"icop-{baseline or 'linear'}",
        "seed": config.seed,
        "config": asdict(config),
        "baseline": baseline,
        "training_data": {"path": Path(corpus.path).name, "sha256": corpus.sha256, "splits": corpus.counts()},
        "keywords": {
            "sha256": keywords.sha256,
            "entries": len(keywords.entries),
            "hashed": keywords.hashed,
            "surrogate": keywords.surrogate,
            "languages": dict(sorted(Counter(e.lang for e in keywords.entries).items())),
        },
        "packages": {"python": platform.python_version(), **{p: _version(p) for p in _PACKAGES}},
        "git_commit": _git_commit(),
        "metrics": {k: v for k, v in metrics.items() if k != "train_seconds"},
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _git_commit() -> str | None:
    """The commit of the code that trained, when it runs from a git checkout of icop (None when installed).

    Only when git tracks this very file: an installed copy inside some other repository (a venv in a
    project folder) must not record that repository's commit.
    """
    here = Path(__file__)
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "--error-unmatch", here.name], capture_output=True, cwd=here.parent, timeout=5
        )
        if tracked.returncode != 0:
            return None
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=here.parent, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
