// thr_cxx_atomic: 8 std::threads x 1,000,000 increments of shared
// std::atomic counters, started together (a std::condition_variable gate):
//  - std::atomic<int>::fetch_add (seq_cst): "fence iorw,ow; amoadd.w.aq"
//  - std::atomic<long> compare_exchange_weak loop: lr.d/sc.d retries
//  - std::atomic_flag spinlock (test_and_set acquire: amoor.w.aq on the
//    containing word; clear release: fence + sb) around a plain counter,
//    8 x 100,000
//  - std::atomic<unsigned short>::fetch_add 8 x 100,000, a sub-word atomic
//    (GCC 12 calls libgcc's __atomic_fetch_add_2: a masked lr.d/sc.d loop on
//    the containing doubleword), wrapping mod 65536
// Only totals are printed.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

static constexpr int kThreads = 8;
static constexpr int kIters = 1000000;
static constexpr int kSmall = 100000;

static std::atomic<int> add_counter{0};
static std::atomic<long> cas_counter{0};
static std::atomic_flag flag = ATOMIC_FLAG_INIT;
static long flag_counter;
static std::atomic<unsigned short> short_counter{0};

static std::mutex gate_mutex;
static std::condition_variable gate_cv;
static int ready;
static bool go;

static void worker(int id)
{
    {
        std::unique_lock<std::mutex> lk(gate_mutex);
        if (++ready == kThreads) {
            go = true;
            gate_cv.notify_all();
        }
        gate_cv.wait(lk, [] { return go; });
    }
    for (int i = 0; i < kIters; i++)
        add_counter.fetch_add(1);
    for (int i = 0; i < kIters; i++) {
        long old = cas_counter.load(std::memory_order_relaxed);
        while (!cas_counter.compare_exchange_weak(old, old + 1))
            ;
    }
    for (int i = 0; i < kSmall; i++) {
        while (flag.test_and_set(std::memory_order_acquire))
            std::this_thread::yield();
        flag_counter += id + 1;
        flag.clear(std::memory_order_release);
    }
    for (int i = 0; i < kSmall; i++)
        short_counter.fetch_add(1, std::memory_order_relaxed);
}

int main()
{
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++)
        threads.emplace_back(worker, i);
    for (auto &t : threads)
        t.join();
    std::printf("std::atomic<int>::fetch_add counter %d (expected %d)\n", add_counter.load(), kThreads * kIters);
    std::printf("std::atomic<long> CAS-loop counter %ld (expected %ld)\n", cas_counter.load(), (long)kThreads * kIters);
    std::printf("std::atomic_flag spinlock counter %ld (expected %ld)\n", flag_counter, 36L * kSmall);
    std::printf("std::atomic<unsigned short> counter %u (expected %u)\n", (unsigned)short_counter.load(),
                (unsigned)((kThreads * kSmall) % 65536));
    return 0;
}
