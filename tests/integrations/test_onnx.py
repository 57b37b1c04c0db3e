import csv
import os
import random
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.integrations import onnx as onnx_export
from icop.io.streams import MAX_NAME_CHARS
from icop.model import bundle
from icop.synth import generate, load_config
from tests.conftest import DEFAULT_MODEL, ROOT

MODEL = DEFAULT_MODEL


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    result = CliRunner().invoke(cli, ["export-onnx", "--model", str(MODEL), "--out", str(path), "--parity-names", "500"])
    assert result.exit_code == 0, result.output
    return path


def test_parity_on_100k_names_of_every_script(exported):
    model = bundle.load(MODEL).model
    rng = random.Random(9)
    alphabet = "aZ09 ._-[]ภาพยนตร์ำ่ស្រ្តីကျမန္ာ၀電影ｶﾗｵｹрасеёđơưọ😀🙂\u200b\u00ad\x00"
    names = [r.text for r in generate(load_config(), 97_000, 31)]
    names += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(2_995)]
    names += ["", "😀" * MAX_NAME_CHARS, "ภ" * MAX_NAME_CHARS, "ျမန္မာ", "m.o.v.i.e"]
    assert len(names) == 100_000
    same, worst = onnx_export.parity(model, exported, names)
    assert same and worst <= 1e-6


def test_plain_onnxruntime_opens_it_and_metadata_documents_the_contract(exported):
    import onnx

    session = onnx_export.session(exported)
    assert [i.name for i in session.get_inputs()] == [
        "norm_codepoints",
        "skel_codepoints",
        "subword_ids",
        "keyword_entries",
        "obfuscation",
        "ext_bucket",
    ]
    meta = {p.key: p.value for p in onnx.load(str(exported)).metadata_props}
    assert meta["icop.manifest_sha256"] == bundle.load(MODEL).digest and meta["icop.input_contract"] == "docs/ONNX.md"
    model = bundle.load(MODEL).model
    logits, probabilities = session.run(None, onnx_export.prepare_inputs(model, ["IMG_0001.JPG"]))
    assert logits.dtype == np.int64 and 0 < probabilities[0] < 1


def test_baselines_that_cannot_be_exported_fail_clearly(tmp_path, small_corpus, shipped_lists):
    from icop.model import training

    path = training.train(training.load_corpus(small_corpus), shipped_lists, tmp_path / "tfidf", baseline="tfidf").path
    result = CliRunner().invoke(cli, ["export-onnx", "--model", str(path), "--out", str(tmp_path / "x.onnx")])
    assert result.exit_code == 1 and "tfidf baseline cannot be exported" in result.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_the_python_example_of_the_onnx_doc_gives_triages_scores(exported, tmp_path):
    example = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "ONNX.md").read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "default").symlink_to(MODEL)
    (tmp_path / "model.onnx").symlink_to(exported)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    printed = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in printed.stdout.splitlines()]
    names = [name for name, *_ in rows]
    (tmp_path / "names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["triage", str(tmp_path / "names.txt"), "-o", str(tmp_path / "q.csv"), "--order", "input", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "q.csv", encoding="utf-8", newline="") as handle:
        queue = list(csv.DictReader(handle))
    assert names == [r["name"] for r in queue] == ["IMG_0001.JPG", "Family.Holiday.2019.mkv", "วันเกิด_2018.mp4"]
    assert [(logit, decision) for _, _, logit, decision in rows] == [(r["logit"], r["decision"]) for r in queue]
    assert all(abs(float(p) - float(r["probability"])) < 1e-6 for (_, p, _, _), r in zip(rows, queue))
