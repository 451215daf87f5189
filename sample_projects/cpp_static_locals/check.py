"""Check a C++ locals module (named in argv) from several Python threads at once, each of
which also starts C++ threads: results against Python's own arithmetic."""

import importlib
import sys
import threading

module = importlib.import_module(sys.argv[1])


def describe(n):
    return "n=%d;hex=%x" % (n, n)


def expected_work(rounds):
    total = 0
    for r in range(rounds):
        total += (r % 16) ** 2 + 42 + r - 1 + len(describe(r))
    return total


text = module.describe(255)
assert text == "n=255;hex=ff", "iostream formatting broken: describe(255) gave %r, expected 'n=255;hex=ff'" % text
assert module.work(100) == expected_work(100), (module.work(100), expected_work(100))

errors = []


def hammer(index):
    try:
        for rounds in (1, 17, 250):
            got = module.threaded_work(4, rounds)
            want = 4 * expected_work(rounds)
            if got != want:
                errors.append("python thread %d: threaded_work(4, %d) = %d, expected %d" % (index, rounds, got, want))
    except Exception as exc:  # report every failure, not just the first
        errors.append("python thread %d: %r" % (index, exc))


threads = [threading.Thread(target=hammer, args=(i,)) for i in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert not errors, "; ".join(errors)

stats = module.stats()
assert stats["once_runs"] == 1, stats  # call_once ran its function exactly once
assert stats["thread_objects_destroyed"] >= 6 * 3 * 4, stats  # thread_local destructors ran
print("%s: statics, call_once, thread_local, exceptions and iostreams agree (%s)" % (sys.argv[1], stats))
