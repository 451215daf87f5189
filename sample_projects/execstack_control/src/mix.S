/* mh_mix(a, b) = a * 31 + b, in unsigned 32-bit arithmetic.
 *
 * Deliberately no `.section .note.GNU-stack,"",@progbits` line: without it the linker
 * assumes this object needs an executable stack and marks the module GNU_STACK RWE, as
 * it does for the hand-written assembly many projects ship. */
    .text
    .globl mh_mix
    .type mh_mix, %function
mh_mix:
#if defined(__x86_64__)
    imull $31, %edi, %eax
    addl %esi, %eax
    ret
#elif defined(__i386__)
    movl 4(%esp), %eax
    imull $31, %eax, %eax
    addl 8(%esp), %eax
    ret
#elif defined(__aarch64__)
    mov w2, #31
    madd w0, w0, w2, w1
    ret
#else
#error "mix.S has no routine for this architecture"
#endif
    .size mh_mix, .-mh_mix
