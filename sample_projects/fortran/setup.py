"""Fortran kernels called from a C extension through ISO_C_BINDING. The Fortran source is
compiled with gfortran and linked with libgfortran, which auditwheel must graft."""

import os
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

module = os.environ.get("MH_MODULES", "fortran_kernels_default_local").split()[0]
FORTRAN_SOURCES = ["src/kernels.f90"]


class build_ext_with_fortran(build_ext):
    def build_extension(self, ext):
        build_temp = Path(self.build_temp)
        build_temp.mkdir(parents=True, exist_ok=True)
        objects = []
        for source in FORTRAN_SOURCES:
            obj = build_temp / (Path(source).stem + ".o")
            command = ["gfortran", "-O2", "-fPIC", "-J", str(build_temp), "-c", source, "-o", str(obj)]
            print(" ".join(command))
            subprocess.check_call(command)
            objects.append(str(obj))
        ext.extra_objects = objects + list(ext.extra_objects or [])
        super().build_extension(ext)


setup(
    name="mh-" + module.replace("_", "-"),
    version="1.0.0",
    description="manylinux-harness sample: Fortran through ISO_C_BINDING, libgfortran grafted",
    python_requires=">=3.9",
    ext_modules=[
        Extension(
            module,
            ["src/bridge.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000"), ("MODULE_NAME", module)],
            libraries=["gfortran", "m"],
        )
    ],
    cmdclass={"build_ext": build_ext_with_fortran},
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
