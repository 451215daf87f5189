"""A walk of 512 frames of 1 KiB (half a MiB of stack) in a thread with default attributes:
the result must be the one computed here. On musl the thread has 128 KiB and dies of SIGSEGV."""

import thread_stack_control

MASK = 2**64 - 1


def reference(depth, x):
    """What descend() returns: each level XORs its frame's top byte (x >> 15, as
    1023 % 56 == 15) and its bottom byte (x, shifted by 8) into what the level below
    returned; the deepest level returns its own x."""
    seeds = [x]
    for _ in range(depth):
        seeds.append((seeds[-1] * 6364136223846793005 + 1442695040888963407) & MASK)
    result = seeds[-1]
    for seed in seeds[:-1]:
        result ^= ((seed >> 15) & 0xFF) ^ ((seed & 0xFF) << 8)
    return result


for depth, seed in ((0, 7), (3, 1), (64, 12345), (512, 2**63 + 5)):
    got, want = thread_stack_control.walk_in_thread(depth, seed), reference(depth, seed)
    assert got == want, "walk(%d, %d) = %d, expected %d" % (depth, seed, got, want)

print("thread_stack_control: a 512 KiB walk in a default thread agrees with Python")
