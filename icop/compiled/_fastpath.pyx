# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled drivers for the per-name loops of normalisation and scoring (optional: icop runs
the same code paths in Python when this extension is not built; tests hold both identical).

No normalisation or matching rule is defined here: the functions walk names and tokens in C and
call back into the Python reference (``icop.text.normalize``, the scorer's per-token functions)
for the Zawgyi decision, for every name outside the fast path (ZWSP, bytes), and for every new
token the token tables do not decide. The token tables are generated from the definition at
run time (``normalize.token_tables``): each character's views, and the classes that send a
token to the reference where a rule looking at neighbours may act. A few small rules are
restated for speed, each held equal to its reference by property tests: the extension split of
names with an ASCII tail, the skel joins of unspaced and one-letter tokens, keyword token runs
and substring pieces, and the n-gram hash.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Calloc, PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.ref cimport PyObject, PyTypeObject, Py_INCREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_Substring
from libc.string cimport memcmp

import numpy as np

cdef extern from "Python.h":
    object PyType_GenericAlloc(PyTypeObject*, Py_ssize_t)
    void PyObject_GC_UnTrack(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    Py_UCS4 PyUnicode_READ_CHAR(object, Py_ssize_t)
    int PyUnicode_IS_ASCII(object)
    bint Py_UNICODE_ISSPACE(Py_UCS4)
    bint Py_UNICODE_ISALPHA(Py_UCS4)
    object PyUnicode_FromKindAndData(int, const void*, Py_ssize_t)
    int PyUnicode_4BYTE_KIND
    Py_ssize_t PyDict_Size(object)

cdef enum:
    SEP_LIMIT = 0x20000
    MAX_COUNTS = 16
    MAX_HASH_BITS = 28  # the presence bitmap of a 28-bit table is 32 MB
cdef unsigned char _separator[SEP_LIMIT]
cdef unsigned char _myanmar[SEP_LIMIT]
cdef unsigned char _unspaced[SEP_LIMIT]
cdef int _N_COUNTS = 0, _REJOINED = -1, _ZAWGYI_CONVERTED = -1

cdef enum:
    TABLE_LIMIT = 0x1F00  # the token tables cover code points below this
    MAX_TABLE_VIEW = 256  # longer tokens go to the reference
    IN_TABLE = 1
    CYRILLIC_GREEK = 2
    LATIN_LETTER = 4
    LEET = 8
    LEET_NEIGHBOUR = 16
    SQUEEZABLE = 32
    REPAIR_LEADING = 64
cdef unsigned char _char_flags[TABLE_LIMIT]
cdef unsigned char _ccc[TABLE_LIMIT]
cdef Py_UCS4 _view_chars[8 * TABLE_LIMIT]  # every character's norm, then its fold
cdef unsigned int _norm_at[TABLE_LIMIT]
cdef unsigned int _fold_at[TABLE_LIMIT]
cdef unsigned char _norm_len[TABLE_LIMIT]
cdef unsigned char _fold_len[TABLE_LIMIT]
cdef unsigned char _repair_index[TABLE_LIMIT]  # 1-255 for characters in a repair pair, else 0
cdef unsigned char _repair_pairs[256 * 32]  # a bit per (first, second) pair of repair indexes


def init_tables(separators, myanmar, unspaced, counts):
    """Tables generated from the Python definition (``icop.text.normalize.compiled_tables``):
    the separator code points, the code points that may be Myanmar, those a token of a script
    written without spaces is made of (all within planes 0-1; see charsets._all_chars), and the
    fields of the obfuscation counts, in order."""
    global _N_COUNTS, _REJOINED, _ZAWGYI_CONVERTED
    if len(counts) > MAX_COUNTS:
        raise ValueError(f"at most {MAX_COUNTS} obfuscation counts")
    for ch in separators:
        _separator[ord(ch)] = 1
    for ch in myanmar:
        _myanmar[ord(ch)] = 1
    for ch in unspaced:
        _unspaced[ord(ch)] = 1
    _N_COUNTS, _REJOINED, _ZAWGYI_CONVERTED = len(counts), counts.index("rejoined"), counts.index("zawgyi_converted")


def init_token_tables(chars, norms, folds, combining, repair_pairs, repair_leading, cyrillic_greek, latin_letters, leet,
                      leet_neighbours, squeezable):
    """The token tables of the Python definition (``icop.text.normalize.token_tables``)."""
    cdef Py_ssize_t used = 0
    for ch, norm, fold, ccc in zip(chars, norms, folds, combining):
        c = ord(ch)
        if c >= TABLE_LIMIT or len(norm) > 255 or len(fold) > 255 or used + len(norm) + len(fold) > 8 * TABLE_LIMIT:
            raise ValueError(f"U+{c:04X}: outside what the compiled token tables hold")
        _norm_at[c], _norm_len[c] = used, len(norm)
        _fold_at[c], _fold_len[c] = used + len(norm), len(fold)
        for k, x in enumerate(norm + fold):
            _view_chars[used + k] = ord(x)
        used += len(norm) + len(fold)
        _char_flags[c], _ccc[c] = IN_TABLE, ccc
    for flag, members in ((CYRILLIC_GREEK, cyrillic_greek), (LATIN_LETTER, latin_letters), (LEET, leet),
                          (LEET_NEIGHBOUR, leet_neighbours), (SQUEEZABLE, squeezable),
                          (REPAIR_LEADING, repair_leading)):
        for ch in members:
            _char_flags[_table_point(ch)] |= flag
    indexes = {ch: k + 1 for k, ch in enumerate(sorted(set("".join(repair_pairs))))}
    if len(indexes) > 255:
        raise ValueError("at most 255 characters in repair pairs")
    for ch, k in indexes.items():
        _repair_index[_table_point(ch)] = k
    for first, second in repair_pairs:
        k = indexes[first] * 256 + indexes[second]
        _repair_pairs[k >> 3] |= 1 << (k & 7)


cdef Py_UCS4 _table_point(str ch) except 0:
    if ord(ch) >= TABLE_LIMIT or ord(ch) == 0:
        raise ValueError(f"U+{ord(ch):04X}: outside the compiled token tables")
    return ord(ch)


cdef inline bint _repair_pair(Py_UCS4 first, Py_UCS4 second) noexcept:
    cdef unsigned int k = _repair_index[first] * 256 + _repair_index[second]
    return _repair_index[first] and _repair_index[second] and _repair_pairs[k >> 3] & (1 << (k & 7))


cdef inline bint _out_of_order(const Py_UCS4* text, Py_ssize_t i) noexcept:
    """A mark after one of a higher combining class: canonical ordering would swap them."""
    return i > 0 and _ccc[text[i]] != 0 and _ccc[text[i - 1]] > _ccc[text[i]]


cdef bint _table_view(str token, Py_UCS4* norm, Py_ssize_t* nn, Py_UCS4* fold, Py_ssize_t* nf) noexcept:
    """The norm and fold views of a token made of table characters, character by character;
    False where the tables do not decide it: a character outside them, a view too long, or a
    neighbour rule of the definition that may act (tone placement, confusables, leetspeak,
    squeezed letters), all read from the tables' classes."""
    cdef Py_ssize_t i, k, n = PyUnicode_GET_LENGTH(token)
    cdef Py_UCS4 c
    cdef int flags, seen = 0
    nn[0] = nf[0] = 0
    for i in range(n):
        c = PyUnicode_READ_CHAR(token, i)
        if c >= TABLE_LIMIT or not _char_flags[c] & IN_TABLE or nn[0] + _norm_len[c] > MAX_TABLE_VIEW:
            return False
        for k in range(_norm_len[c]):
            norm[nn[0] + k] = _view_chars[_norm_at[c] + k]
        nn[0] += _norm_len[c]
    for i in range(nn[0]):
        c = norm[i]
        flags = _char_flags[c]
        if (i == 0 and flags & REPAIR_LEADING) or (i and _repair_pair(norm[i - 1], c)):
            return False
        if _out_of_order(norm, i) or nf[0] + _fold_len[c] > MAX_TABLE_VIEW:
            return False
        for k in range(_fold_len[c]):
            fold[nf[0] + k] = _view_chars[_fold_at[c] + k]
        nf[0] += _fold_len[c]
    for i in range(nf[0]):
        flags = _char_flags[fold[i]]
        seen |= flags
        if _out_of_order(fold, i):
            return False
        if flags & LEET and 0 < i < nf[0] - 1 and _char_flags[fold[i - 1]] & _char_flags[fold[i + 1]] & LEET_NEIGHBOUR:
            return False
        if flags & SQUEEZABLE and i >= 2 and fold[i - 1] == fold[i] and fold[i - 2] == fold[i]:
            return False
    return not (seen & CYRILLIC_GREEK and seen & LATIN_LETTER)


cdef inline str _text_at(list texts, Py_ssize_t i):
    item = <object>PyList_GET_ITEM(texts, i)
    if type(item) is not str:
        raise TypeError(f"item {i} is {type(item).__name__}, not str")
    return item


cdef inline bint _is_separator(Py_UCS4 c) noexcept:
    return c < SEP_LIMIT and _separator[c]


cdef inline bint _may_be_myanmar(Py_UCS4 c) noexcept:
    """A Myanmar code point, or anything beyond planes 0-1 (the reference's regex decides there)."""
    return c >= SEP_LIMIT or _myanmar[c]


cdef inline bint _is_ascii_digits(str token) noexcept:
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(token)
    cdef Py_UCS4 c
    if not PyUnicode_IS_ASCII(token):
        return False
    for i in range(n):
        c = PyUnicode_READ_CHAR(token, i)
        if c < 48 or c > 57:
            return False
    return True


cdef class NameNormalizer:
    """``[normalize(t) for t in texts]`` for a batch, with per-name Python only on the slow path.

    ``caches`` are the reference's token caches (by Zawgyi conversion, then raw token);
    ``token`` computes and caches a missing entry.
    """

    cdef tuple caches
    cdef Py_ssize_t cache_size
    cdef frozenset known_extensions
    cdef object token, zawgyi_decision, normalize, split_extension, rejoin, spelled_out, normalized, obfuscation, no_obfuscation

    def __init__(self, caches, cache_size, token, zawgyi_decision, normalize, split_extension, known_extensions, rejoin,
                 spelled_out, normalized, obfuscation, no_obfuscation):
        self.caches, self.cache_size, self.token = caches, cache_size, token
        self.zawgyi_decision, self.normalize = zawgyi_decision, normalize
        self.split_extension, self.known_extensions = split_extension, known_extensions
        self.rejoin, self.spelled_out = rejoin, spelled_out
        self.normalized, self.obfuscation, self.no_obfuscation = normalized, obfuscation, no_obfuscation

    def __call__(self, list texts):
        cdef Py_ssize_t i, n = PyList_GET_SIZE(texts)
        out = [None] * n
        for i in range(n):
            text = <object>PyList_GET_ITEM(texts, i)
            out[i] = self._one(text) if type(text) is str else self.normalize(text)
        return out

    cdef object _one(self, str text):
        cdef Py_ssize_t i, start = 0, n
        cdef Py_UCS4 c
        cdef long counts[MAX_COUNTS]
        cdef bint any_counts = False, maybe_myanmar = False, convert = False
        cdef PyObject* hit
        cdef tuple result
        stem, ext = self._split_extension(text)
        n = PyUnicode_GET_LENGTH(stem)
        raw_tokens = []
        for i in range(n + 1):
            c = PyUnicode_READ_CHAR(stem, i) if i < n else 32
            if c == 0x200B:
                return self.normalize(text)  # ZWSP splits only next to unspaced scripts
            if c >= 0x1000 and _may_be_myanmar(c):
                maybe_myanmar = True
            if i < n and not _is_separator(c):
                continue
            if i > start:
                raw_tokens.append(PyUnicode_Substring(stem, start, i))
            start = i + 1
        probability = 0.0
        if maybe_myanmar:
            probability, convert = self.zawgyi_decision(stem, raw_tokens)
        cache = self.caches[convert]
        for i in range(_N_COUNTS):
            counts[i] = 0
        # While every token's three views are one object (most tokens), only norms is built.
        norms, folds, skels = [], None, None
        for token in raw_tokens:
            if _is_ascii_digits(token):
                norms.append(token)
                if folds is not None:
                    folds.append(token)
                    skels.append(token)
                continue
            hit = PyDict_GetItem(cache, token)
            result = <tuple>hit if hit is not NULL else self._new_token(token, convert, cache)
            norm = <object>PyTuple_GET_ITEM(result, 0)
            if norm:
                fold = <object>PyTuple_GET_ITEM(result, 1)
                skel = <object>PyTuple_GET_ITEM(result, 2)
                if folds is None and not (fold is norm and skel is norm):
                    folds, skels = list(norms), list(norms)
                norms.append(norm)
                if folds is not None:
                    folds.append(fold)
                    skels.append(skel)
            tally = <object>PyTuple_GET_ITEM(result, 3)
            if tally is not self.no_obfuscation:
                any_counts = True
                for k in range(_N_COUNTS):
                    counts[k] += tally[k]
        norm = " ".join(norms)
        fold = norm if folds is None else " ".join(folds)
        skel = norm if skels is None else " ".join(skels)
        if _may_have_spaced_letters(skel):
            skel, rejoined = self._rejoined(skel)
            if rejoined:
                any_counts = True
                counts[_REJOINED] += rejoined
        if convert:
            any_counts = True
            counts[_ZAWGYI_CONVERTED] += 1
        obfuscation = self.no_obfuscation
        if any_counts:
            obfuscation = _named_tuple(self.obfuscation, [counts[k] for k in range(_N_COUNTS)])
        return _named_tuple(self.normalized, [text, ext, norm, fold, skel, probability, obfuscation])

    cdef tuple _new_token(self, str token, bint convert, dict cache):
        """The reference's ``_token``: from the tables where they decide, else from the definition."""
        result = None if convert else self.table_token(token)  # Zawgyi conversion is not in the tables
        if result is None:
            return self.token(token, convert)
        if PyDict_Size(cache) >= self.cache_size:
            cache.clear()
        cache[token] = result
        return result

    def table_token(self, str token):
        """``_normalize_token(token, False)`` from the token tables, or None where they do not decide."""
        cdef Py_UCS4 norm[MAX_TABLE_VIEW]
        cdef Py_UCS4 fold[MAX_TABLE_VIEW]
        cdef Py_ssize_t nn, nf
        if not _table_view(token, norm, &nn, fold, &nf):
            return None
        norm_text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, norm, nn)
        same = nn == nf and memcmp(norm, fold, nn * sizeof(Py_UCS4)) == 0
        fold_text = norm_text if same else PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, fold, nf)
        return norm_text, fold_text, fold_text, self.no_obfuscation

    def rejoined(self, str text):
        """The reference's ``_rejoin_spaced_letters(text)`` (exposed for the tests that hold them equal)."""
        return self._rejoined(text)

    cdef tuple _rejoined(self, str text):
        """The reference's skel joins, token by token (``rejoin_spaced_letters``): a run of two or
        more tokens wholly in a script without spaces, else of three or more one-letter tokens, is
        glued into one; with the count of spelled-out letters. Tokens beyond planes 0-1 go to the
        reference, and so does the count for a run of three or more unspaced tokens."""
        cdef list tokens = text.split(" ")
        cdef Py_ssize_t i, end, n = PyList_GET_SIZE(tokens)
        cdef int kind
        cdef long spelled = 0
        cdef unsigned char* kinds = <unsigned char*>PyMem_Malloc(n)
        if kinds == NULL:
            raise MemoryError()
        try:
            for i in range(n):
                kind = _join_kind(<str>PyList_GET_ITEM(tokens, i))
                if kind < 0:
                    return self.rejoin(text)
                kinds[i] = kind
            out, i = [], 0
            while i < n:
                end = _run_end(kinds, n, i, UNSPACED_TOKEN, 2)
                if end:
                    if end - i > 2:
                        spelled += self.spelled_out(tokens[i:end])
                else:
                    end = _run_end(kinds, n, i, LETTER_TOKEN, 3)
                    spelled += end - i if end else 0  # every letter a grapheme: all spelled out
                if end:
                    out.append("".join(tokens[i:end]))
                    i = end
                else:
                    out.append(<object>PyList_GET_ITEM(tokens, i))
                    i += 1
        finally:
            PyMem_Free(kinds)
        if PyList_GET_SIZE(out) == n:
            return text, 0
        return " ".join(out), spelled

    cdef tuple _split_extension(self, str text):
        """The reference's split_extension; names whose tail is not plain ASCII are passed to it."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), dot = n - 1, end = n, i
        cdef Py_UCS4 c
        cdef bint alpha = True
        while dot >= 0 and PyUnicode_READ_CHAR(text, dot) != 46:  # '.'
            dot -= 1
        if dot <= 0:
            return text, ""
        while end > dot + 1 and Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, end - 1)):
            end -= 1
        if end - dot - 1 > 5:
            return text, ""
        for i in range(dot + 1, end):
            c = PyUnicode_READ_CHAR(text, i)
            if c >= 128:
                return self.split_extension(text)
            if not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122):
                return text, ""
            alpha = alpha and not (48 <= c <= 57)
        if end == dot + 1:
            return text, ""
        ext = PyUnicode_Substring(text, dot + 1, end).lower()
        if ext in self.known_extensions or (alpha and 2 <= end - dot - 1 <= 4):
            return PyUnicode_Substring(text, 0, dot), ext
        return text, ""


cdef object _named_tuple(type cls, list values):
    """``cls(*values)`` for a NamedTuple class, without its Python-level ``__new__``."""
    cdef Py_ssize_t i, n = PyList_GET_SIZE(values)
    result = PyType_GenericAlloc(<PyTypeObject*>cls, n)
    for i in range(n):
        value = <object>PyList_GET_ITEM(values, i)
        Py_INCREF(value)
        PyTuple_SET_ITEM(result, i, value)
    PyObject_GC_UnTrack(result)  # it holds only strings, numbers and such tuples: never a cycle
    return result


cdef enum:
    UNSPACED_TOKEN = 1  # wholly in scripts written without spaces
    LETTER_TOKEN = 2  # one character, a letter


cdef int _join_kind(str token) noexcept:
    """UNSPACED_TOKEN | LETTER_TOKEN flags of a skel token; -1 beyond planes 0-1 (no table there)."""
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(token)
    cdef Py_UCS4 c
    cdef int kind = UNSPACED_TOKEN if n else 0
    for i in range(n):
        c = PyUnicode_READ_CHAR(token, i)
        if c >= SEP_LIMIT:
            return -1
        if not _unspaced[c]:
            kind = 0
    if n == 1 and Py_UNICODE_ISALPHA(PyUnicode_READ_CHAR(token, 0)):
        kind |= LETTER_TOKEN
    return kind


cdef Py_ssize_t _run_end(const unsigned char* kinds, Py_ssize_t n, Py_ssize_t start, int kind, Py_ssize_t shortest) noexcept:
    """The end of the run of ``kind`` tokens from ``start`` if it is at least ``shortest`` long, else 0."""
    cdef Py_ssize_t end = start
    while end < n and kinds[end] & kind:
        end += 1
    return end if end - start >= shortest else 0


cdef bint _may_have_spaced_letters(str text) noexcept:
    """Three or more one-character tokens in a row, or a space between two characters at or above
    U+0E00, where the scripts written without spaces begin (two of their words, maybe); the
    reference regex then decides exactly."""
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(text), length = 0, run = 0
    for i in range(n + 1):
        if i == n or PyUnicode_READ_CHAR(text, i) == 32:
            if 0 < i < n - 1 and PyUnicode_READ_CHAR(text, i - 1) >= 0x0E00 and PyUnicode_READ_CHAR(text, i + 1) >= 0x0E00:
                return True
            if length == 1:
                run += 1
                if run >= 3:
                    return True
            else:
                run = 0
            length = 0
        else:
            length += 1
    return False


cdef enum:
    PREFIX_TOKEN = 1  # a token of the view is a key prefix
    SUBSTRING_WORK = 2  # a token with a flagged character has substring hits, or none known yet


def token_run_hits(list folds, list skels, set prefixes, Py_ssize_t max_length, dict keys, int max_tokens,
                   const unsigned char[:] start_flags, const unsigned char[:] char_flags, dict substring_hits):
    """For each name (its fold and skel views), the token runs of
    ``keywords.KeywordMatcher._token_runs`` that are keys, as (fold runs, skel runs); None where
    there is nothing to find: no run is a key, and every token with a character flagged in
    ``char_flags`` is known (in ``substring_hits``) to have no substring hit.
    ``start_flags`` flags the first characters of the keys and ``max_length`` is the longest
    prefix (a token starting otherwise, or longer, is no prefix)."""
    cdef Py_ssize_t i, n = PyList_GET_SIZE(folds)
    cdef int fold_scan, skel_scan = 0
    out = [None] * n
    for i in range(n):
        fold, skel = _text_at(folds, i), _text_at(skels, i)
        same = skel == fold
        fold_scan = _scan(fold, prefixes, start_flags, max_length, char_flags, substring_hits)
        fold_tokens = fold.split() if fold_scan & PREFIX_TOKEN else []
        fold_runs = _run_hits(fold_tokens, prefixes, keys, max_tokens, True, False)
        if same:
            skel_runs = _run_hits(fold_tokens, prefixes, keys, max_tokens, False, True)
        else:
            skel_scan = _scan(skel, prefixes, start_flags, max_length, char_flags, substring_hits)
            skel_runs = _run_hits(skel.split() if skel_scan & PREFIX_TOKEN else [], prefixes, keys, max_tokens, True, True)
        if fold_runs or skel_runs or (fold_scan & SUBSTRING_WORK) or (not same and skel_scan & SUBSTRING_WORK):
            out[i] = (fold_runs, skel_runs)
    return out


cdef int _scan(str text, set prefixes, const unsigned char[:] start_flags, Py_ssize_t max_length,
               const unsigned char[:] char_flags, dict substring_hits) except -1:
    """PREFIX_TOKEN and SUBSTRING_WORK of the whitespace-separated tokens of ``text`` (tokens
    that cannot be prefixes, by their first character or length, are not looked up)."""
    cdef Py_ssize_t j, start = 0, length = PyUnicode_GET_LENGTH(text)
    cdef Py_ssize_t start_limit = start_flags.shape[0], char_limit = char_flags.shape[0]
    cdef Py_UCS4 c
    cdef bint flagged = False
    cdef int found = 0
    cdef PyObject* hits
    for j in range(length + 1):
        c = PyUnicode_READ_CHAR(text, j) if j < length else 32
        if not Py_UNICODE_ISSPACE(c):
            flagged = flagged or (c < char_limit and char_flags[c])
            continue
        if j > start:
            if not (found & PREFIX_TOKEN) and j - start <= max_length:
                c = PyUnicode_READ_CHAR(text, start)
                if c < start_limit and start_flags[c] and PyUnicode_Substring(text, start, j) in prefixes:
                    found |= PREFIX_TOKEN
            if flagged and not (found & SUBSTRING_WORK):
                hits = PyDict_GetItem(substring_hits, PyUnicode_Substring(text, start, j))
                if hits is NULL or PyTuple_GET_SIZE(<object>hits):
                    found |= SUBSTRING_WORK
        flagged = False
        start = j + 1
    return found


cdef list _run_hits(list tokens, set prefixes, dict keys, Py_ssize_t max_tokens, bint plain, bint glue):
    """Runs of up to ``max_tokens`` tokens joined by a space (``plain``) and glued (``glue``; two
    tokens or more), each grown only while it is a key prefix; (first, last + 1, text) of keys."""
    cdef Py_ssize_t i, n = PyList_GET_SIZE(tokens)
    hits = []
    for i in range(n):
        if <object>PyList_GET_ITEM(tokens, i) not in prefixes:
            continue
        if plain:
            _grow(hits, tokens, i, min(i + max_tokens, n), " ", True, prefixes, keys)
        if glue:
            _grow(hits, tokens, i, min(i + max_tokens, n), "", False, prefixes, keys)
    return hits


cdef void _grow(list hits, list tokens, Py_ssize_t i, Py_ssize_t last, str joiner, bint single, set prefixes, dict keys) except *:
    cdef Py_ssize_t k
    candidate = <str>PyList_GET_ITEM(tokens, i)
    for k in range(i + 1, last + 1):
        if k > i + 1:
            candidate = candidate + joiner + <str>PyList_GET_ITEM(tokens, k - 1)
            if candidate not in prefixes:
                return
        if (k > i + 1 or single) and candidate in keys:
            hits.append((i, k, candidate))


def substring_pieces(str token, list bounds, set prefixes, dict keys, Py_ssize_t longest):
    """(start, end, entries) of each piece of ``token`` between two of its grapheme ``bounds``
    (at most ``longest`` characters) that is in ``keys``; from each start, pieces grow only while
    they are in ``prefixes``: ``KeywordMatcher._enumerate_substrings`` of a plain list, in C."""
    cdef Py_ssize_t a, b, start, end, n = PyList_GET_SIZE(bounds)
    cdef PyObject* hit
    found = []
    for a in range(n):
        start = <Py_ssize_t><object>PyList_GET_ITEM(bounds, a)
        for b in range(a + 1, n):
            end = <Py_ssize_t><object>PyList_GET_ITEM(bounds, b)
            if end - start > longest:
                break
            piece = PyUnicode_Substring(token, start, end)
            if piece not in prefixes:
                break
            hit = PyDict_GetItem(keys, piece)
            if hit is not NULL:
                found.append((start, end, <object>hit))
    return found


cdef inline bint _first_sight(unsigned char* seen, Py_ssize_t* touched, Py_ssize_t* t, Py_ssize_t slot) noexcept nogil:
    """Presence: whether ``slot`` is new to the current text; marks it in the bitmap ``seen`` and
    remembers it in ``touched`` (so that :func:`_forget` clears only what the text set)."""
    if seen[slot >> 3] & (1 << (slot & 7)):
        return False
    seen[slot >> 3] |= 1 << (slot & 7)
    touched[t[0]] = slot
    t[0] += 1
    return True


cdef inline void _forget(unsigned char* seen, const Py_ssize_t* touched, Py_ssize_t t) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(t):
        seen[touched[k] >> 3] = 0


def piece_sums(list texts, dict pieces, object compute, const long long[::1] weights):
    """For each text, the summed ``weights`` of its distinct pieces (presence): a text's pieces
    are those of its tokens (split at U+0020, as ``str.split(" ")``), ``pieces[token]`` a tuple of
    ids. Tokens missing from ``pieces`` are computed in one call,
    ``compute(list_of_tokens) -> list_of_tuples``, and stored in ``pieces``."""
    cdef Py_ssize_t i, j, k, t, capacity = 0, n = PyList_GET_SIZE(texts), size = weights.shape[0], position = 0
    cdef long long total, piece
    cdef Py_ssize_t* touched = NULL
    cdef unsigned char* seen = NULL
    cdef Py_ssize_t* token_counts = NULL
    cdef list found = []  # each token once: its ids where known, else the token (encoded below, with the others)
    missing = {}
    out = np.zeros(n, dtype=np.int64)
    cdef long long[:] sums = out
    try:
        token_counts = <Py_ssize_t*>PyMem_Malloc((n + 1) * sizeof(Py_ssize_t))
        seen = <unsigned char*>PyMem_Calloc(size // 8 + 1, 1)  # one bit per piece id, cleared after each text
        if token_counts == NULL or seen == NULL:
            raise MemoryError()
        for i in range(n):
            token_counts[i] = _token_pieces(_text_at(texts, i), pieces, missing, found)
        if missing:
            new = list(missing)
            pieces.update(zip(new, compute(new)))
        for i in range(n):
            total, t = 0, 0
            for j in range(token_counts[i]):
                ids = <object>PyList_GET_ITEM(found, position)
                position += 1
                if type(ids) is str:
                    ids = pieces[ids]
                if t + PyTuple_GET_SIZE(ids) > capacity:
                    capacity = max(2 * capacity, t + PyTuple_GET_SIZE(ids), 256)
                    touched = <Py_ssize_t*>PyMem_Realloc(touched, capacity * sizeof(Py_ssize_t))
                    if touched == NULL:
                        raise MemoryError()
                for k in range(PyTuple_GET_SIZE(ids)):
                    piece = <long long><object>PyTuple_GET_ITEM(ids, k)
                    if not 0 <= piece < size:
                        raise ValueError(f"piece id {piece} outside the {size} weights")
                    if _first_sight(seen, touched, &t, piece):
                        total += weights[piece]
            _forget(seen, touched, t)
            sums[i] = total
    finally:
        PyMem_Free(touched)
        PyMem_Free(seen)
        PyMem_Free(token_counts)
    return out


cdef Py_ssize_t _token_pieces(str text, dict pieces, dict missing, list found) except -1:
    """Appends to ``found`` the ids of each token of ``text`` (the token where ``pieces`` lacks
    it, which also goes into ``missing``); returns the number of tokens."""
    cdef Py_ssize_t j, start = 0, count = 0, length = PyUnicode_GET_LENGTH(text)
    cdef PyObject* hit
    for j in range(length + 1):
        if j < length and PyUnicode_READ_CHAR(text, j) != 32:
            continue
        token = PyUnicode_Substring(text, start, j)
        hit = PyDict_GetItem(pieces, token)
        if hit is NULL:
            missing[token] = None
            found.append(token)
        else:
            found.append(<object>hit)
        count += 1
        start = j + 1
    return count


def ngram_sums(list texts, const int[::1] weights, unsigned int seed, int bits, int pad, int max_n,
               unsigned int prime, unsigned int multiplier):
    """FeatureSpace.ngram_windows summed per text, each slot once (presence): over each text padded
    with ``pad`` NULs per side, every n-gram (n <= max_n) hashed as h = h * prime + c from ``seed``
    (uint32), slot = top ``bits`` bits of h * multiplier, the weight of each distinct slot added
    (all-NUL n-grams have weight 0)."""
    cdef Py_ssize_t i, s, k, t, end, length, padded, n = PyList_GET_SIZE(texts), capacity = 0
    cdef unsigned int h, slot
    cdef long long total
    cdef int shift = 32 - bits
    cdef unsigned int* chars = NULL
    cdef Py_ssize_t* touched = NULL
    cdef unsigned char* seen = NULL
    if not 0 < bits <= MAX_HASH_BITS or weights.shape[0] < (1 << bits):
        raise ValueError(f"a {bits}-bit hash needs {1 << bits} weights (at most {MAX_HASH_BITS} bits), got {weights.shape[0]}")
    out = np.zeros(n, dtype=np.int64)
    cdef long long[:] sums = out
    try:
        seen = <unsigned char*>PyMem_Calloc((1 << bits) // 8 + 1, 1)  # one bit per slot, cleared after each text
        if seen == NULL:
            raise MemoryError()
        for i in range(n):
            text = _text_at(texts, i)
            length = PyUnicode_GET_LENGTH(text)
            padded = length + 2 * pad
            if padded > capacity:
                capacity = max(2 * capacity, padded, 256)
                PyMem_Free(chars)
                PyMem_Free(touched)
                chars = <unsigned int*>PyMem_Malloc(capacity * sizeof(unsigned int))
                touched = <Py_ssize_t*>PyMem_Malloc(capacity * max_n * sizeof(Py_ssize_t))
                if chars == NULL or touched == NULL:
                    raise MemoryError()
            # The padded code points, read once (each is part of up to max_n windows).
            for k in range(padded):
                chars[k] = PyUnicode_READ_CHAR(text, k - pad) if pad <= k < pad + length else 0
            total = 0
            t = 0
            for s in range(padded):
                h = seed
                end = min(s + max_n, padded)
                for k in range(s, end):
                    h = h * prime + chars[k]
                    slot = (h * multiplier) >> shift
                    if _first_sight(seen, touched, &t, slot):
                        total += weights[slot]
            _forget(seen, touched, t)
            sums[i] = total
    finally:
        PyMem_Free(chars)
        PyMem_Free(touched)
        PyMem_Free(seen)
    return out
