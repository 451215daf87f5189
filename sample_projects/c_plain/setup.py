from setuptools import Extension, setup

# Limited API (abi3, cp39): one wheel serves every distro's Python >= 3.9.
setup(
    ext_modules=[
        Extension(
            "c_plain",
            ["src/c_plain.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
