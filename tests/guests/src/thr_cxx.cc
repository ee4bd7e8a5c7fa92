// thr_cxx: the C++ thread library on static libstdc++.
//  - std::async(std::launch::async): 6 tasks counting primes in ranges,
//    futures summed; a task that throws, rethrown by future::get
//  - std::thread + std::mutex/std::lock_guard: 6 threads fill a shared
//    std::map and a counter
//  - std::condition_variable: a blocking queue (std::deque), 2 producers,
//    3 consumers, and a ping-pong between two threads
//  - std::promise/std::future across threads, std::call_once
//  - thread_local objects with constructors and destructors: one of each per
//    thread that touches it, destructors run at thread exit
//  - std::this_thread::get_id differs between threads
// Only exact totals and properties are printed.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static long count_primes(long lo, long hi)
{
    long n = 0;
    for (long x = lo < 2 ? 2 : lo; x < hi; x++) {
        bool prime = true;
        for (long d = 2; d * d <= x; d++)
            if (x % d == 0) {
                prime = false;
                break;
            }
        n += prime;
    }
    return n;
}

static std::atomic<int> tl_constructed{0}, tl_destroyed{0};

struct PerThread {
    long value;
    PerThread() : value(1000) { tl_constructed++; }
    ~PerThread() { tl_destroyed++; }
};
static thread_local PerThread per_thread;

template <typename T> class BlockingQueue {
  public:
    void push(T v)
    {
        {
            std::lock_guard<std::mutex> g(m_);
            q_.push_back(std::move(v));
        }
        cv_.notify_one();
    }
    bool pop(T &out)
    {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [this] { return !q_.empty() || closed_; });
        if (q_.empty())
            return false;
        out = std::move(q_.front());
        q_.pop_front();
        return true;
    }
    void close()
    {
        {
            std::lock_guard<std::mutex> g(m_);
            closed_ = true;
        }
        cv_.notify_all();
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<T> q_;
    bool closed_ = false;
};

int main()
{
    // std::async, really asynchronous
    {
        std::vector<std::future<long>> futures;
        for (int i = 0; i < 6; i++)
            futures.push_back(std::async(std::launch::async, count_primes, i * 5000L, (i + 1) * 5000L));
        long total = 0;
        for (auto &f : futures)
            total += f.get();
        std::printf("async: primes below 30000: %ld (expected %ld)\n", total, count_primes(0, 30000));
        auto bad = std::async(std::launch::async, []() -> int { throw std::runtime_error("thrown in a task"); });
        try {
            bad.get();
            std::printf("async: no exception\n");
        } catch (const std::runtime_error &e) {
            std::printf("async: future::get rethrew \"%s\"\n", e.what());
        }
    }

    // std::thread + std::mutex/std::lock_guard
    {
        std::mutex m;
        std::map<int, int> hist;
        long counter = 0;
        std::vector<std::thread> ts;
        std::set<std::thread::id> ids;
        for (int t = 0; t < 6; t++)
            ts.emplace_back([&, t] {
                {
                    std::lock_guard<std::mutex> g(m);
                    ids.insert(std::this_thread::get_id());
                }
                for (int i = 0; i < 3000; i++) {
                    std::lock_guard<std::mutex> g(m);
                    hist[(i * 7 + t) % 10]++;
                    counter += t + 1;
                }
                per_thread.value += t;
            });
        for (auto &t : ts)
            t.join();
        std::string h;
        for (auto &kv : hist)
            h += " " + std::to_string(kv.first) + ":" + std::to_string(kv.second);
        std::printf("threads: counter %ld (expected %ld), histogram%s\n", counter, 21L * 3000, h.c_str());
        std::printf("threads: 6 distinct ids, none the main thread's: %s\n",
                    ids.size() == 6 && !ids.count(std::this_thread::get_id()) ? "yes" : "no");
    }

    // std::condition_variable: blocking queue, 2 producers, 3 consumers
    {
        BlockingQueue<long> q;
        std::atomic<long> sum{0}, items{0};
        std::vector<std::thread> consumers, producers;
        for (int c = 0; c < 3; c++)
            consumers.emplace_back([&] {
                long v, s = 0, n = 0;
                while (q.pop(v)) {
                    s += v;
                    n++;
                }
                sum += s;
                items += n;
            });
        for (int p = 0; p < 2; p++)
            producers.emplace_back([&, p] {
                for (long i = 1; i <= 4000; i++)
                    q.push(p * 100000 + i);
            });
        for (auto &t : producers)
            t.join();
        q.close();
        for (auto &t : consumers)
            t.join();
        long want = 0;
        for (long p = 0; p < 2; p++)
            for (long i = 1; i <= 4000; i++)
                want += p * 100000 + i;
        std::printf("condvar queue: %ld items, sum %ld (expected 8000, %ld)\n", items.load(), sum.load(), want);
    }

    // condition-variable ping-pong
    {
        std::mutex m;
        std::condition_variable cv;
        int turn = 0, exchanges = 0;
        auto player = [&](int me) {
            for (int r = 0; r < 500; r++) {
                std::unique_lock<std::mutex> lk(m);
                cv.wait(lk, [&] { return turn == me; });
                exchanges++;
                turn = 1 - me;
                cv.notify_all();
            }
        };
        std::thread a(player, 0), b(player, 1);
        a.join();
        b.join();
        std::printf("ping-pong: %d exchanges, turn back to %d\n", exchanges, turn);
    }

    // std::promise / std::future across threads; std::call_once
    {
        std::promise<std::string> prom;
        std::future<std::string> fut = prom.get_future();
        std::once_flag once;
        std::atomic<int> once_runs{0};
        std::vector<std::thread> ts;
        for (int i = 0; i < 4; i++)
            ts.emplace_back([&] { std::call_once(once, [&] { once_runs++; }); });
        std::thread setter([&prom] { prom.set_value("value from another thread"); });
        std::printf("promise: %s\n", fut.get().c_str());
        setter.join();
        for (auto &t : ts)
            t.join();
        std::printf("call_once ran %d time(s)\n", once_runs.load());
    }

    // thread_local constructors and destructors
    {
        int before_c = tl_constructed.load(), before_d = tl_destroyed.load();
        std::vector<std::thread> ts;
        std::atomic<long> values{0};
        for (int i = 0; i < 5; i++)
            ts.emplace_back([&, i] {
                per_thread.value += i;
                values += per_thread.value;
            });
        for (auto &t : ts)
            t.join();
        std::printf("thread_local: %d constructed, %d destroyed by 5 threads; their values sum to %ld (expected %d)\n",
                    tl_constructed.load() - before_c, tl_destroyed.load() - before_d, values.load(), 5000 + 10);
        std::printf("thread_local: main's copy untouched: %ld\n", per_thread.value);
        // 6 threads above, plus main's own (constructed just now)
        std::printf("thread_local: constructed %d in total, destroyed %d so far\n", tl_constructed.load(),
                    tl_destroyed.load());
    }
    return 0;
}
