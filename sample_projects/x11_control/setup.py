from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "x11_control",
            ["src/x11_control.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            libraries=["X11"],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
