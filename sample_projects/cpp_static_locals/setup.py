"""C++ static locals sample. The harness tells each build which module to provide
(MH_MODULES, e.g. cpp_locals_static_manylinux_2_31), so that wheels of two flavours or two
build images can be installed side by side and imported into one process."""

import os

from setuptools import Extension, setup

module = os.environ.get("MH_MODULES", "cpp_locals_plain_local").split()[0]

setup(
    name="mh-" + module.replace("_", "-"),
    version="1.0.0",
    description="manylinux-harness sample: C++ function-local statics, call_once, thread_local",
    python_requires=">=3.9",
    ext_modules=[
        Extension(
            module,
            ["src/cpp_locals.cpp"],
            language="c++",
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000"), ("MODULE_NAME", module)],
            extra_compile_args=["-std=c++17", "-pthread"],
            # CXXFLAGS/LDFLAGS of the flavour (e.g. -static-libstdc++) come from the
            # environment cibuildwheel passes through.
            extra_link_args=["-pthread"],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
