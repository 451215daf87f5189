/* Sums 32-bit words on a second thread. Linked against glibc >= 2.34, pthread_create and
 * pthread_join bind to their GLIBC_2.34 versions in libc.so.6. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct job {
    const uint32_t *words;
    size_t count;
    uint64_t sum;
};

static void *sum_words(void *arg) {
    struct job *job = arg;
    job->sum = 0;
    for (size_t i = 0; i < job->count; i++) job->sum += job->words[i];
    return NULL;
}

int mh_threaded_sum(const uint32_t *words, size_t count, uint64_t *sum) {
    struct job job = {words, count, 0};
    pthread_t thread;
    int error = pthread_create(&thread, NULL, sum_words, &job);
    if (error) return error;
    error = pthread_join(thread, NULL);
    *sum = job.sum;
    return error;
}
