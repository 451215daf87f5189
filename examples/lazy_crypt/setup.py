from setuptools import Extension, setup

# Limited API (abi3, cp39): one wheel for every Python >= 3.9. libcrypt is opened with dlopen
# on first use, not linked: auditwheel sees no libcrypt.so.1 to graft, and the import works
# everywhere; only the call fails where the system has no libcrypt.so.1.
setup(
    ext_modules=[
        Extension(
            "lazy_crypt._native",
            ["src/lazy_crypt/_native.c"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03090000")],
            libraries=["dl"],  # glibc < 2.34 keeps dlopen in libdl
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
