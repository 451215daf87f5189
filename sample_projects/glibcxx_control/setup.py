from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "glibcxx_control",
            ["src/glibcxx_control.cpp"],
            language="c++",
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            extra_compile_args=["-std=c++17"],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
