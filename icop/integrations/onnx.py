"""ONNX export: one graph that computes the exact integer logit and the calibrated probability.

Input contract (docs/ONNX.md), per batch of B names, all int64:

==================  ========  ===============================================================
input               shape     content
==================  ========  ===============================================================
norm_codepoints     [B, W]    code points of the ``norm`` view, after 4 zeros, zero-padded to W
skel_codepoints     [B, W2]   the same for ``skel`` when it differs from norm, else all zeros
subword_ids         [B, S]    sentencepiece ids of norm, padded with ``subword_pad`` (= vocab)
keyword_entries     [B, K]    indexes of the keyword entries found, padded with ``keyword_pad``
obfuscation         [B, O]    obfuscation counts in FeatureSpace.OBFUSCATION_FIELDS order
ext_bucket          [B]       crc32(extension, UTF-8) mod ext_buckets
==================  ========  ===============================================================

In the graph: the polynomial n-gram hash and its multiplicative slot (uint32 arithmetic carried
in int64 with explicit mod 2^32, splitting the final product so nothing overflows), the weight
gathers and sums, count clipping, the keyword-plus-category weights, the intercept, and Platt
calibration. Outside: normalisation (the golden vectors are its spec), sentencepiece encoding,
keyword matching, the extension bucket and the truncation of names longer than
``FeatureSpace.MAX_NAME_CHARS`` characters; :func:`prepare_inputs` is the reference for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from icop.errors import IcopError
from icop.features import FeatureSpace
from icop.model.linear import LinearModel
from icop.scoring.scorer import BatchScorer
from icop.text.normalize import Normalized, normalize

OPSET = 18
_MOD32 = 1 << 32
#: Synthetic names in the parity check of an export, and a few hostile ones always added.
PARITY_NAMES = 3000
HOSTILE_NAMES = (
    "",
    "😀" * 64,
    "ျမန္မာ",
    "W3dd1ng.V1de0",
    "m.o.v.i.e",
    "ภาพยนตร์\u200bวันเกิด",
    "x" * (FeatureSpace.MAX_NAME_CHARS + 50),
)


class ExportError(IcopError):
    """A bundle that cannot be exported to ONNX."""


def export(model: LinearModel, path, manifest_sha256: str = "") -> None:
    """Write the ONNX graph of a linear icop model (not of a TF-IDF baseline)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if not isinstance(model, LinearModel):
        raise ExportError(f"a {model.kind} baseline cannot be exported to ONNX; export an icop model")
    space, weights = model.space, BatchScorer(model).weights
    nodes, inits = [], []

    def const(name, value, dtype=np.int64):
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    for value, name in (
        (space.PRIME, "P"),
        (_MOD32, "MOD32"),
        (1 << 16, "TWO16"),
        (space.MULTIPLIER, "M"),
        (space.MAX_COUNT, "MAXCOUNT"),
    ):
        const(name, value)
    const("axis1", [1])
    inits.append(numpy_helper.from_array(weights.ngram.astype(np.int32), "W_ngram"))
    inits.append(numpy_helper.from_array(weights.skel.astype(np.int32), "W_skel"))
    subword = np.append(weights.subword, 0).astype(np.int64)
    inits.append(numpy_helper.from_array(subword, "W_subword"))
    keyword = np.array(
        [weights.keyword.get(e, 0) + weights.category.get(c, 0) for e, c in zip(space.keyword_ids, _entry_categories(model))]
        + [0],
        dtype=np.int64,
    )
    inits.append(numpy_helper.from_array(keyword, "W_keyword"))
    inits.append(numpy_helper.from_array(weights.obfusc.astype(np.int64), "W_obfusc"))
    inits.append(numpy_helper.from_array(weights.ext.astype(np.int64), "W_ext"))

    def add_all(terms: list[str], name: str) -> str:
        """ONNX Sum takes floats only: int64 terms are chained with Add."""
        total = terms[0]
        for k, term in enumerate(terms[1:], 1):
            total = node("Add", [total, term], name if k == len(terms) - 1 else f"{name}_{k}")
        return total

    def ngram_sum(prefix: str, codepoints: str, table: str, bits: int) -> str:
        seed = const(f"{prefix}_seed", space.hash_seed)
        shift = const(f"{prefix}_shift", 1 << (32 - bits))
        h = node(
            "Mod", [node("Add", [node("Mul", [seed, "P"], f"{prefix}_s0"), codepoints], f"{prefix}_h1a"), "MOD32"], f"{prefix}_h1"
        )
        slots = []
        for n in range(1, space.MAX_N + 1):
            if n > 1:
                c = node(
                    "Slice",
                    [codepoints, const(f"{prefix}_st{n}", [n - 1]), const(f"{prefix}_en{n}", [np.iinfo(np.int64).max]), "axis1"],
                    f"{prefix}_c{n}",
                )
                prev = node(
                    "Slice", [h, const(f"{prefix}_ps{n}", [0]), const(f"{prefix}_pe{n}", [-1]), "axis1"], f"{prefix}_hp{n}"
                )
                h = node(
                    "Mod",
                    [node("Add", [node("Mul", [prev, "P"], f"{prefix}_m{n}"), c], f"{prefix}_a{n}"), "MOD32"],
                    f"{prefix}_h{n}",
                )
            # (h * M) mod 2^32 without overflow: h = hi * 2^16 + lo
            hi = node("Div", [h, "TWO16"], f"{prefix}_hi{n}")
            lo = node("Mod", [h, "TWO16"], f"{prefix}_lo{n}")
            part = node(
                "Mul",
                [node("Mod", [node("Mul", [hi, "M"], f"{prefix}_him{n}"), "TWO16"], f"{prefix}_himm{n}"), "TWO16"],
                f"{prefix}_hish{n}",
            )
            mixed = node(
                "Mod",
                [node("Add", [node("Mul", [lo, "M"], f"{prefix}_lom{n}"), part], f"{prefix}_mx{n}"), "MOD32"],
                f"{prefix}_mix{n}",
            )
            slots.append(node("Div", [mixed, shift], f"{prefix}_slot{n}"))
        return presence_sum(prefix, codepoints, table, slots, bits)

    def presence_sum(prefix: str, codepoints: str, table: str, slots: list[str], bits: int) -> str:
        """Each distinct (name, slot) pair once: unique keys row * 2^bits + slot, weights added per row."""
        rows = node("Shape", [codepoints], f"{prefix}_shape", end=1)
        index = node(
            "Range",
            [const(f"{prefix}_zero", 0), node("Squeeze", [rows], f"{prefix}_b"), const(f"{prefix}_one", 1)],
            f"{prefix}_rows",
        )
        base = node(
            "Mul", [node("Unsqueeze", [index, "axis1"], f"{prefix}_rows2"), const(f"{prefix}_scale", 1 << bits)], f"{prefix}_base"
        )
        keys = node("Add", [base, node("Concat", slots, f"{prefix}_slots", axis=1)], f"{prefix}_keys")
        unique = node(
            "Unique", [node("Reshape", [keys, const(f"{prefix}_flat", [-1])], f"{prefix}_flatkeys")], f"{prefix}_unique", sorted=1
        )
        row = node("Div", [unique, const(f"{prefix}_scale2", 1 << bits)], f"{prefix}_urow")
        slot = node("Mod", [unique, const(f"{prefix}_scale3", 1 << bits)], f"{prefix}_uslot")
        weights = node("Cast", [node("Gather", [table, slot], f"{prefix}_g")], f"{prefix}_w", to=TensorProto.INT64)
        zeros = node("ConstantOfShape", [rows], f"{prefix}_zeros", value=numpy_helper.from_array(np.zeros(1, np.int64)))
        return node("ScatterElements", [zeros, row, weights], f"{prefix}_total", axis=0, reduction="add")

    parts = [
        ngram_sum("ngram", "norm_codepoints", "W_ngram", space.ngram_bits),
        ngram_sum("skel", "skel_codepoints", "W_skel", space.skel_bits),
        presence_sum("sub", "subword_ids", "W_subword", ["subword_ids"], (len(subword) - 1).bit_length()),
        node("ReduceSum", [node("Gather", ["W_keyword", "keyword_entries"], "kw_g"), "axis1"], "kw_total", keepdims=0),
        node(
            "ReduceSum",
            [node("Mul", [node("Min", ["obfuscation", "MAXCOUNT"], "obf_clip"), "W_obfusc"], "obf_w"), "axis1"],
            "obf_total",
            keepdims=0,
        ),
        node("Gather", ["W_ext", "ext_bucket"], "ext_total"),
    ]
    add_all([*parts, const("intercept", [model.intercept])], "logit")
    scaled = node(
        "Div",
        [node("Cast", ["logit"], "logit_f", to=TensorProto.DOUBLE), const("scale", 1 << model.scale_bits, np.float64)],
        "logit_scaled",
    )
    z = node(
        "Add",
        [
            node("Mul", [scaled, const("cal_a", model.calibration.a, np.float64)], "cal_az"),
            const("cal_b", model.calibration.b, np.float64),
        ],
        "cal_z",
    )
    nodes.append(helper.make_node("Sigmoid", [z], ["probability"], name="probability"))

    batch = "batch"
    inputs = [
        helper.make_tensor_value_info("norm_codepoints", TensorProto.INT64, [batch, "width"]),
        helper.make_tensor_value_info("skel_codepoints", TensorProto.INT64, [batch, "skel_width"]),
        helper.make_tensor_value_info("subword_ids", TensorProto.INT64, [batch, "pieces"]),
        helper.make_tensor_value_info("keyword_entries", TensorProto.INT64, [batch, "entries"]),
        helper.make_tensor_value_info("obfuscation", TensorProto.INT64, [batch, len(space.OBFUSCATION_FIELDS)]),
        helper.make_tensor_value_info("ext_bucket", TensorProto.INT64, [batch]),
    ]
    outputs = [
        helper.make_tensor_value_info("logit", TensorProto.INT64, [batch]),
        helper.make_tensor_value_info("probability", TensorProto.DOUBLE, [batch]),
    ]
    graph = helper.make_graph(nodes, "icop", inputs, outputs, inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="icop")
    metadata = {
        "icop.manifest_sha256": manifest_sha256,
        "icop.subword_pad": str(space.subword_vocab),
        "icop.keyword_pad": str(len(space.keyword_ids)),
        "icop.ext_buckets": str(space.ext_buckets),
        "icop.scale_bits": str(model.scale_bits),
        "icop.input_contract": "docs/ONNX.md",
        "icop.max_name_chars": str(space.MAX_NAME_CHARS),
        "icop.obfuscation_fields": ",".join(space.OBFUSCATION_FIELDS),
        "icop.operating_points": json.dumps({k: op.threshold for k, op in model.operating_points.items()}, sort_keys=True),
    }
    for key, value in metadata.items():
        onnx_model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(path))


def _entry_categories(model: LinearModel) -> list[str]:
    by_id = model.keywords.by_id() if model.keywords else {}
    return [by_id[e].category if e in by_id else "" for e in model.space.keyword_ids]


def prepare_inputs(
    model: LinearModel, names: Sequence[str | bytes | Normalized], key: bytes | None = None
) -> dict[str, np.ndarray]:
    """The reference implementation of the input contract (normalise, encode, match outside the graph)."""
    space = model.space
    normalized = [n if isinstance(n, Normalized) else normalize(space.truncate(n) if isinstance(n, str) else n) for n in names]
    featuriser = model.featuriser(key)
    index = {e: i for i, e in enumerate(space.keyword_ids)}
    if featuriser.subwords is not None and space.subword_vocab:
        pieces = featuriser.subwords.encode([n.norm for n in normalized])
    else:
        pieces = [[] for _ in normalized]
    matches = featuriser.matcher.find_batch(normalized) if featuriser.matcher else [[]] * len(normalized)
    entries = [sorted({index[entry.id] for entry, *_ in found if entry.id in index}) for found in matches]
    return {
        "norm_codepoints": _codepoint_matrix(space, [n.norm for n in normalized]),
        "skel_codepoints": _codepoint_matrix(space, [n.skel if n.skel != n.norm else "" for n in normalized]),
        "subword_ids": _padded(pieces, space.subword_vocab),
        "keyword_entries": _padded(entries, len(space.keyword_ids)),
        "obfuscation": np.array([n.obfuscation for n in normalized], dtype=np.int64).reshape(
            len(normalized), len(space.OBFUSCATION_FIELDS)
        ),
        "ext_bucket": np.array([space.ext_bucket(n.ext) for n in normalized], dtype=np.int64),
    }


def _codepoint_matrix(space: FeatureSpace, texts: list[str]) -> np.ndarray:
    pad = space.PAD
    width = max((len(t) for t in texts), default=0) + 2 * pad
    matrix = np.zeros((len(texts), width), dtype=np.int64)
    for row, text in enumerate(texts):
        if text:
            matrix[row, pad : pad + len(text)] = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return matrix


def _padded(rows: list[list[int]], pad: int) -> np.ndarray:
    width = max((len(r) for r in rows), default=0) or 1
    matrix = np.full((len(rows), width), pad, dtype=np.int64)
    for i, r in enumerate(rows):
        matrix[i, : len(r)] = r
    return matrix


def session(path, threads: int = 1):
    """An onnxruntime session with plain onnxruntime (no custom operators needed)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def parity(model: LinearModel, path, names: Sequence[str], batch: int = 10_000) -> tuple[bool, float]:
    """(integer logits identical?, max |delta p|) of the ONNX graph against the Python scorer."""
    run = session(path)
    scorer = BatchScorer(model)
    same, worst = True, 0.0
    for i in range(0, len(names), batch):
        normalized = [normalize(model.space.truncate(n)) for n in names[i : i + batch]]
        logits, probabilities = run.run(["logit", "probability"], prepare_inputs(model, normalized))
        expected = scorer.score(normalized)
        same &= bool(np.array_equal(logits, expected.logits))
        worst = max(worst, float(np.max(np.abs(probabilities - expected.probabilities))))
    return same, worst


#: Exports fail when the graph and the Python scorer differ by more than this on the parity set.
MAX_PROBABILITY_DELTA = 1e-6


def export_verified(model: LinearModel, path, manifest_sha256: str, parity_names: Sequence[str]) -> float:
    """Export, then gate on parity (identical integer logits, |delta p| <= 1e-6); returns max |delta p|."""
    from pathlib import Path

    export(model, path, manifest_sha256)
    same, worst = parity(model, path, parity_names)
    if not same or worst > MAX_PROBABILITY_DELTA:
        Path(path).unlink(missing_ok=True)
        raise ExportError(f"{path}: parity check failed (logits identical: {same}, max |delta p| {worst:.3g}); nothing written")
    return worst


def export_bundle(loaded, path, parity_names: int = PARITY_NAMES) -> float:
    """Export a loaded bundle, gated on parity over ``parity_names`` synthetic names and the
    hostile ones; returns max |delta p|."""
    from icop import synth

    names = [r.text for r in synth.generate(synth.load_config(), parity_names, 97)] + list(HOSTILE_NAMES)
    return export_verified(loaded.model, path, loaded.digest, names)
