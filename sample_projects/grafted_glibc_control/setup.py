"""The extension links libmh_threadsum.so, a shared library built here first; auditwheel
finds it through the extension's RUNPATH (the build directory) and grafts it."""

import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HELPER = "mh_threadsum"


class BuildExtWithLibrary(build_ext):
    def build_extensions(self):
        libdir = os.path.abspath(os.path.join(self.build_temp, "lib"))
        os.makedirs(libdir, exist_ok=True)
        objects = self.compiler.compile(
            ["src/threadsum.c"], output_dir=self.build_temp, extra_postargs=["-fPIC", "-pthread"]
        )
        self.compiler.link_shared_object(
            objects, "lib%s.so" % HELPER, output_dir=libdir, extra_postargs=["-pthread"]
        )
        for ext in self.extensions:
            ext.library_dirs.append(libdir)
            ext.runtime_library_dirs.append(libdir)
        super().build_extensions()


setup(
    ext_modules=[
        Extension(
            "grafted_glibc_control",
            ["src/grafted_glibc_control.c"],
            libraries=[HELPER],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
        )
    ],
    cmdclass={"build_ext": BuildExtWithLibrary},
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
