"""Static TLS control. The harness names the module (MH_MODULES, e.g. static_tls_tlsdesc);
the flavour's environment gives the TLS model and size (MH_TLS_MODEL, MH_TLS_BYTES)."""

import os

from setuptools import Extension, setup

module = os.environ.get("MH_MODULES", "static_tls_initial_exec").split()[0]
model = os.environ.get("MH_TLS_MODEL", "initial-exec")
size = int(os.environ.get("MH_TLS_BYTES", "1536"))
if model == "initial-exec":
    macros, flags = [("TLS_MODEL_ATTRIBUTE", '__attribute__((tls_model("initial-exec")))')], []
elif model == "gnu2":
    macros, flags = [("TLS_MODEL_ATTRIBUTE", "")], ["-mtls-dialect=gnu2"]
else:
    raise SystemExit("MH_TLS_MODEL must be initial-exec or gnu2, not %r" % model)

setup(
    name="mh-" + module.replace("_", "-"),
    version="1.0.0",
    description="manylinux-harness control: thread-local storage from the static TLS surplus",
    python_requires=">=3.9",
    ext_modules=[
        Extension(
            module,
            ["src/static_tls.c"],
            py_limited_api=True,
            define_macros=[
                ("Py_LIMITED_API", "0x03090000"),
                ("MODULE_NAME", module),
                ("TLS_BYTES", str(size)),
                *macros,
            ],
            extra_compile_args=flags,
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
