from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExtWithAssembly(build_ext):
    """setuptools compiles .S (preprocessed assembler) with the C compiler once it is told
    the suffix is a source."""

    def build_extensions(self):
        self.compiler.src_extensions.append(".S")
        super().build_extensions()


# Limited API (abi3, cp39): one wheel serves every interpreter of the corpus.
setup(
    ext_modules=[
        Extension(
            "execstack_control",
            ["src/execstack_control.c", "src/mix.S"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
        )
    ],
    cmdclass={"build_ext": BuildExtWithAssembly},
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
