import os

from setuptools import Extension, setup

# Limited API (abi3, cp39): one wheel serves every distro's Python >= 3.9. MH_LIMITED_API=0
# (the version-specific flavour) builds the same code for the build image's one CPython
# (cp3X-cp3X), the wheel a publisher offers beside the abi3 one.
limited = os.environ.get("MH_LIMITED_API", "1") != "0"
setup(
    ext_modules=[
        Extension(
            "c_plain",
            ["src/c_plain.c"],
            py_limited_api=limited,
            define_macros=[("Py_LIMITED_API", "0x03090000")] if limited else [],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}} if limited else {},
)
