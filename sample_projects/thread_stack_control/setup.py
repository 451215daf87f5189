from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "thread_stack_control",
            ["src/thread_stack_control.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            extra_compile_args=["-pthread"],
            extra_link_args=["-pthread"],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
