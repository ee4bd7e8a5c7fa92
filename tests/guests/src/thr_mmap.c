/* thr_mmap: eight threads map, fill, check and unmap memory at the same
 * time (what per-thread malloc arenas do). Every mapping must be a range of
 * its own: each page is tagged with its owner and checked after all threads
 * have mapped, so two threads handed the same range would see each other's
 * tags. Half of the regions are unmapped while the others are still being
 * mapped, and brk moves meanwhile too.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define THREADS 8
#define REGIONS 150
#define PAGES 4

static pthread_barrier_t mapped;
static long bad[THREADS], maps[THREADS];

static void *worker(void *arg)
{
    long t = (long)arg;
    uint64_t *region[REGIONS];
    for (int i = 0; i < REGIONS; i++) {
        region[i] = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region[i] == MAP_FAILED) {
            region[i] = NULL;
            bad[t]++;
            continue;
        }
        maps[t]++;
        for (int pg = 0; pg < PAGES; pg++)
            region[i][pg * 512] = (uint64_t)t << 32 | (uint64_t)i << 8 | (uint64_t)pg;
        /* unmap every other one at once: ranges come free while others map */
        if (i % 2 == 1) {
            for (int pg = 0; pg < PAGES; pg++)
                if (region[i][pg * 512] != ((uint64_t)t << 32 | (uint64_t)i << 8 | (uint64_t)pg))
                    bad[t]++;
            munmap(region[i], PAGES * 4096);
            region[i] = NULL;
        }
        if (t == 0 && i % 10 == 0) {
            void *b = sbrk(4096);
            if (b != (void *)-1)
                *(volatile char *)b = 1;
        }
    }
    pthread_barrier_wait(&mapped);
    for (int i = 0; i < REGIONS; i++) {
        if (!region[i])
            continue;
        for (int pg = 0; pg < PAGES; pg++)
            if (region[i][pg * 512] != ((uint64_t)t << 32 | (uint64_t)i << 8 | (uint64_t)pg))
                bad[t]++;
        munmap(region[i], PAGES * 4096);
    }
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&mapped, NULL, THREADS);
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    long total = 0, wrong = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        total += maps[t];
        wrong += bad[t];
    }
    printf("mmap from %d threads: %ld regions, every page still holds its owner's tag: %s\n", THREADS, total,
           wrong == 0 ? "yes" : "no");
    return wrong != 0;
}
