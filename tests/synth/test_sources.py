"""Real benign sources: deterministic, split by item, held-out software names only in the test."""

from icop.synth import sources


def test_every_language_has_words_and_the_registry_is_stable():
    registry = sources.registry()
    languages = {s.lang for s in registry.values() if s.kind == "word"}
    assert languages == {"vi", "id", "ms", "fil", "zh", "ja", "ru", "en", "th", "my", "km"}
    assert list(registry) == list(sources.registry.__wrapped__())  # same sources in the same order


def test_items_fall_in_one_split_by_their_normalised_form():
    assert sources.split_of("Holiday") == sources.split_of("holiday") == sources.split_of("HOLIDAY")
    splits = [sources.split_of(f"word{i}") for i in range(20_000)]
    shares = [splits.count(s) / len(splits) for s in sources.SPLITS]
    assert all(abs(share - target) < 0.015 for share, target in zip(shares, sources.SHARES))


def test_held_out_software_names_reach_only_the_test():
    split = sources.split_items("software-files")
    assert split["train"] == split["validation"] == () and len(split["test"]) > 1000
    seen = sources.split_items("wordfreq-en")
    assert all(seen[s] for s in sources.SPLITS)
    assert not set(seen["train"]) & set(seen["test"])


def test_loads_are_deterministic_and_filtered():
    loaded = sources.load("faker-person-ja_JP")
    assert loaded.items == sources._load.__wrapped__(sources.registry()["faker-person-ja_JP"]).items
    assert loaded.items == tuple(sorted(set(loaded.items))) and loaded.raw >= len(loaded.items)
    words, phrases = sources._latin_profanity()  # entries are read from the installed list, never written here
    word, phrase = sorted(words)[0], phrases[0].strip()
    flags = [
        sources.is_profane(x) for x in (word, f"Family.{word.upper()}.video", f"x {phrase} y", "Family holiday video", "ภาพยนตร์")
    ]
    assert flags == [True, True, True, False, False]  # no entry is printed on failure
