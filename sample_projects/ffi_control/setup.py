from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ffi_control",
            ["src/ffi_control.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            libraries=["ffi"],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
