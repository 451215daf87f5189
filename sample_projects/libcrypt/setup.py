from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crypt_sample",
            ["src/crypt_sample.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            libraries=["crypt"],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
