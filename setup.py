"""The optional compiled drivers (icop/compiled/_fastpath.pyx); all other metadata is in pyproject.toml.

Where no C compiler is present the build skips the extension and icop runs the same code paths
in Python, with identical results (tests hold the two together).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("icop.compiled._fastpath", ["icop/compiled/_fastpath.pyx"], optional=True),
        # Keyed-hash keyword lists: needs OpenSSL's libcrypto and headers; without them only
        # keyed matching runs in Python.
        Extension("icop.compiled._keyed", ["icop/compiled/_keyed.pyx"], libraries=["crypto"], optional=True),
    ]
)
