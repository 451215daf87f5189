"""Check static TLS modules (named in argv) from several threads: each thread's block holds
its own bytes, summed against Python's arithmetic."""

import importlib
import sys
import threading

errors = []


def expected(module, seed):
    return sum((seed + i * 7) % 256 for i in range(module.size()))


def hammer(module, seed):
    try:
        for round_ in range(20):
            got = module.fill(seed + round_)
            if got != expected(module, seed + round_):
                errors.append("%s seed %d: %d" % (module.__name__, seed + round_, got))
    except Exception as exc:
        errors.append("%s: %r" % (module.__name__, exc))


for name in sys.argv[1:]:
    module = importlib.import_module(name)
    threads = [threading.Thread(target=hammer, args=(module, 13 * i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
assert not errors, "; ".join(errors)
print("static TLS: %s agree on every thread" % ", ".join(sys.argv[1:]))
