/* The program the gdb tests debug (crates/cli/tests/all/gdb.rs): built
 * with -g -O0 so that lines, locals and frames are what the source says.
 * A global to watch, floating point to read, a call chain for bt, and a
 * second thread for `info threads` (it sleeps first, so that the main
 * thread is blocked in pthread_join when the second one stops). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

int counter;
double ratio = 0.75;

static double scale(double x, int n)
{
    double r = x * n;
    return r + ratio;
}

static int square(int x)
{
    int r = x * x;
    return r;
}

static void worker_mark(int id)
{
    counter += id;
}

static void *worker(void *arg)
{
    usleep(300000);
    worker_mark((int)(long)arg);
    return NULL;
}

int main(void)
{
    int value = 6;
    double d = scale(2.0, 3);
    value = square(value);
    counter = 1;
    counter = 2;
    printf("value %d d %.2f counter %d\n", value, d, counter);
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)5L);
    pthread_join(t, NULL);
    printf("counter %d\n", counter);
    return 0;
}
