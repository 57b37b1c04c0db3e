# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled candidate hashing for keyed-hash keyword lists (optional, like ``_fastpath``).

A separate extension because it links OpenSSL's libcrypto: where that is missing only keyed
matching falls back to Python. It restates one rule, held equal to the Python reference by tests
(tests/keywords): the candidates of ``KeywordMatcher._token_runs`` and ``_enumerate_substrings``
for a hashed list, each hashed as HMAC-SHA256(key, UTF-8 of the candidate). HMAC is computed from
the key's inner and outer SHA-256 states, prepared once (RFC 2104), and runs grow by updating one
state, so a candidate costs two SHA-256 compressions and no Python object until it is looked up.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport PyObject
from libc.string cimport memcpy, memset

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    Py_UCS4 PyUnicode_READ_CHAR(object, Py_ssize_t)
    const char* PyUnicode_AsUTF8AndSize(object, Py_ssize_t*) except NULL

cdef extern from "openssl/sha.h":
    ctypedef struct SHA256_CTX:
        pass
    int SHA256_Init(SHA256_CTX*) nogil
    int SHA256_Update(SHA256_CTX*, const void*, size_t) nogil
    int SHA256_Final(unsigned char*, SHA256_CTX*) nogil

cdef enum:
    BLOCK = 64
    DIGEST = 32


cdef class KeyedIndex:
    """Entries of a hashed list by the HMAC of their match key; finds the candidates that are keys.

    ``lengths``: a flag per candidate length in characters (1: a key has it), ``longest`` the
    longest key length; both per match mode, from the list's key-lengths header (or every length
    up to the mode's maximum where the header is missing)."""

    cdef SHA256_CTX inner
    cdef SHA256_CTX outer
    cdef dict index
    cdef bytes token_lengths, substring_lengths

    def __init__(self, bytes key, dict index, bytes token_lengths, bytes substring_lengths):
        cdef unsigned char pad[BLOCK]
        cdef Py_ssize_t i
        if len(key) > BLOCK:
            raise ValueError("keys longer than 64 bytes are hashed first by HMAC; pass the hashed key")
        for state, byte in ((0, 0x36), (1, 0x5C)):
            memset(pad, byte, BLOCK)
            for i in range(len(key)):
                pad[i] = key[i] ^ byte
            if state == 0:
                SHA256_Init(&self.inner)
                SHA256_Update(&self.inner, pad, BLOCK)
            else:
                SHA256_Init(&self.outer)
                SHA256_Update(&self.outer, pad, BLOCK)
        self.index = index
        self.token_lengths = token_lengths
        self.substring_lengths = substring_lengths

    cdef object _entries(self, SHA256_CTX* running):
        """The entries whose key is the message hashed so far in ``running`` (None if none)."""
        cdef SHA256_CTX ctx
        cdef unsigned char digest[DIGEST]
        memcpy(&ctx, running, sizeof(SHA256_CTX))
        SHA256_Final(digest, &ctx)
        memcpy(&ctx, &self.outer, sizeof(SHA256_CTX))
        SHA256_Update(&ctx, digest, DIGEST)
        SHA256_Final(digest, &ctx)
        cdef PyObject* found = PyDict_GetItem(self.index, PyBytes_FromStringAndSize(<char*>digest, DIGEST))
        return None if found is NULL else <object>found

    def token_runs(self, list tokens, bint plain, bint glue, Py_ssize_t max_tokens):
        """(first, last + 1, entries) of the token runs that are keys, in the order of
        ``KeywordMatcher._token_runs``: per first token, joined by a space (``plain``), then glued."""
        cdef Py_ssize_t i, n = PyList_GET_SIZE(tokens)
        hits = []
        for i in range(n):
            if plain:
                self._grow(hits, tokens, i, min(i + max_tokens, n), b" ", True)
            if glue:
                self._grow(hits, tokens, i, min(i + max_tokens, n), b"", False)
        return hits

    cdef void _grow(self, list hits, list tokens, Py_ssize_t i, Py_ssize_t last, bytes joiner, bint single) except *:
        cdef SHA256_CTX running
        cdef Py_ssize_t k, size, chars = 0, joiner_size = len(joiner)
        cdef Py_ssize_t longest = len(self.token_lengths) - 1
        cdef const unsigned char* flags = self.token_lengths
        cdef const char* text
        memcpy(&running, &self.inner, sizeof(SHA256_CTX))
        for k in range(i + 1, last + 1):
            token = <object>PyList_GET_ITEM(tokens, k - 1)
            if k > i + 1:
                SHA256_Update(&running, <const char*>joiner, joiner_size)
                chars += joiner_size
            text = PyUnicode_AsUTF8AndSize(token, &size)
            SHA256_Update(&running, text, size)
            chars += PyUnicode_GET_LENGTH(token)
            if chars > longest:
                return  # runs only grow
            if (k > i + 1 or single) and flags[chars]:
                entries = self._entries(&running)
                if entries is not None:
                    hits.append((i, k, entries))

    def pieces(self, str token, list bounds):
        """(start, end, entries) of the substrings of ``token`` cut at ``bounds`` (grapheme
        bounds, 0 first) that are keys, in the order of ``KeywordMatcher._enumerate_substrings``."""
        cdef Py_ssize_t a, b, j, size, n = PyList_GET_SIZE(bounds), length = PyUnicode_GET_LENGTH(token)
        cdef Py_ssize_t start, end, previous, longest = len(self.substring_lengths) - 1
        cdef const unsigned char* flags = self.substring_lengths
        cdef const char* text = PyUnicode_AsUTF8AndSize(token, &size)
        cdef Py_ssize_t* offsets = <Py_ssize_t*>PyMem_Malloc((length + 1) * sizeof(Py_ssize_t))
        cdef SHA256_CTX running
        cdef Py_UCS4 c
        if offsets is NULL:
            raise MemoryError()
        hits = []
        try:
            offsets[0] = 0
            for j in range(length):  # UTF-8 byte offset of each character
                c = PyUnicode_READ_CHAR(token, j)
                offsets[j + 1] = offsets[j] + (1 if c < 0x80 else 2 if c < 0x800 else 3 if c < 0x10000 else 4)
            for a in range(n):
                start = <object>PyList_GET_ITEM(bounds, a)
                memcpy(&running, &self.inner, sizeof(SHA256_CTX))
                previous = start
                for b in range(a + 1, n):
                    end = <object>PyList_GET_ITEM(bounds, b)
                    if end - start > longest:
                        break
                    SHA256_Update(&running, text + offsets[previous], offsets[end] - offsets[previous])
                    previous = end
                    if flags[end - start]:
                        entries = self._entries(&running)
                        if entries is not None:
                            hits.append((start, end, entries))
        finally:
            PyMem_Free(offsets)
        return hits
