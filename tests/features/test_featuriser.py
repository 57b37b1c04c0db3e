import numpy as np
import pytest

from icop.features import FeatureSpace, Featuriser, ngram_matrix, subwords
from icop.text.normalize import normalize

SPACE = FeatureSpace(ngram_bits=16, skel_bits=12)


def ngrams(texts, space=SPACE):
    return ngram_matrix(space, "ngram", texts)


def test_every_name_has_five_l_plus_ten_ngrams():
    texts = ["", "a", "movie 2019", "ภาพยนตร์ วันเกิด", "电影", "😀 emoji"]
    counts = ngrams(texts).sum(axis=1).A1
    expected = [0 if not t else 5 * len(t) + 10 for t in texts]
    reserved_hits = expected != counts
    assert reserved_hits.sum() <= 1  # only a real n-gram hashing into a reserved slot may be dropped
    assert counts[0] == 0 and counts[1] == 15


def test_names_in_one_batch_do_not_share_ngrams():
    texts = ["abc", "xyz", "ab", "c"]
    together = ngrams(texts).toarray()
    apart = np.vstack([ngrams([t]).toarray() for t in texts])
    assert (together == apart).all()


def test_hash_is_polynomial_then_multiplicative():
    buffer = np.array([0, 0, 0, 0, ord("a"), ord("b"), 0, 0, 0, 0], dtype=np.uint32)
    windows = FeatureSpace(ngram_bits=16, hash_seed=7).ngram_windows(buffer, "ngram")
    h = (7 * 0x01000193 + ord("a")) % 2**32
    h = (h * 0x01000193 + ord("b")) % 2**32
    assert windows[1][4] == ((h * 0x9E3779B1) % 2**32) >> 16  # the bigram "ab" ends at index 5
    assert len(windows) == FeatureSpace.MAX_N == 5


def test_flat_buffer_pads_each_name():
    buffer, lengths = SPACE.flat_buffer(["ab", "c"])
    assert buffer.tolist() == [0] * 4 + [97, 98] + [0] * 8 + [99] + [0] * 4
    assert lengths.tolist() == [10, 9]


def test_reserved_slots_never_get_counts():
    reserved = SPACE.reserved_slots("ngram")
    matrix = ngrams(["a b c d e f g h"] * 3)
    assert matrix[:, reserved].nnz == 0


def test_space_layout_and_family_lookup():
    space = FeatureSpace(ngram_bits=4, skel_bits=3, subword_vocab=5, keyword_ids=("a", "b"), categories=("x",), ext_buckets=2)
    assert space.offsets == {
        "ngram": 0,
        "skel": 16,
        "subword": 24,
        "keyword": 29,
        "category": 31,
        "obfusc": 32,
        "ext": 42,
        "end": 44,
    }
    assert [space.family_of(i) for i in (0, 16, 28, 29, 31, 41, 43)] == [
        "ngram",
        "skel",
        "subword",
        "keyword",
        "category",
        "obfusc",
        "ext",
    ]
    assert FeatureSpace.from_json(space.to_json()) == space


def test_featuriser_families(matcher, lexicon):
    marker = next(t for t in lexicon if t.id == "en-0001")
    processor = subwords.load(subwords.train(["wedding video", "holiday photos 2019", "family"] * 50, 60, 0))
    space = FeatureSpace(
        ngram_bits=12,
        skel_bits=10,
        subword_vocab=processor.size,
        keyword_ids=("en-0001", "en-0002"),
        categories=("surrogate-a", "surrogate-b"),
    )
    featuriser = Featuriser(space, processor, matcher)
    names = [normalize(f"W3dd1ng.{marker.term}.mp4"), normalize("IMG_0001.JPG")]
    matrix = featuriser.transform(names).toarray()
    assert matrix.dtype == np.int32
    assert matrix[0, space.offsets["keyword"]] == 1 and matrix[0, space.offsets["keyword"] + 1] == 0
    assert matrix[0, space.offsets["category"]] == 1
    assert matrix[0, space.offsets["obfusc"] + 1] == 2  # two leet substitutions
    assert matrix[0, space.offsets["skel"] : space.offsets["subword"]].sum() > 0  # skel differs
    assert matrix[1, space.offsets["skel"] : space.offsets["subword"]].sum() == 0
    assert matrix[:, space.offsets["subword"] : space.offsets["keyword"]].sum(axis=1).min() > 0
    assert matrix[:, space.offsets["ext"] :].sum(axis=1).tolist() == [1, 1]


def test_subword_training_is_byte_identical_and_keeps_tags():
    texts = [f"movie {i} 1080p x264 wedding" for i in range(300)] + ["ภาพยนตร์ วันเกิด"] * 50
    first, second = subwords.train(texts, 80, 3), subwords.train(texts, 80, 3)
    assert first == second
    pieces = subwords.load(first).processor.encode(["movie 1080p x264"], out_type=str)[0]
    assert "▁1080p" in pieces or "1080p" in pieces


@pytest.mark.parametrize("text", ["", "a", "x" * 1024])
def test_extreme_lengths(text):
    assert ngrams([text]).shape == (1, SPACE.size)
