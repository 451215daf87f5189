from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "abi3_headers_control",
            ["src/abi3_headers_control.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
