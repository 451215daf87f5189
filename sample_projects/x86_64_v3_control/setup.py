from setuptools import Extension, setup

# Limited API (abi3, cp39). The CPU level comes from CFLAGS (sample.toml's environment), as
# a build that passes -march for its own machine sets it; the source also asks for AVX2
# explicitly, so the control does not depend on what the compiler chooses to vectorise.
setup(
    ext_modules=[
        Extension(
            "x86_64_v3_control",
            ["src/x86_64_v3_control.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
