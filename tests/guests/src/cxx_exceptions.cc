// cxx_exceptions: C++ runtime on static glibc/libstdc++. Exceptions thrown
// through several frames (unwinding via .eh_frame), rethrow, nested
// try/catch, destructors run during unwinding, std::vector / std::string /
// std::map / std::unordered_map / std::sort, virtual calls and dynamic_cast,
// std::function and lambdas, and a static constructor.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

static int live_guards = 0;
static std::vector<std::string> log_lines;

struct Guard {
    std::string name;
    explicit Guard(std::string n) : name(std::move(n)) { live_guards++; }
    ~Guard()
    {
        live_guards--;
        log_lines.push_back("~Guard(" + name + ")");
    }
};

struct MyError : std::runtime_error {
    int code;
    MyError(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

[[gnu::noinline]] static int depth3(int x)
{
    Guard g("depth3");
    if (x == 3)
        throw MyError("thrown at depth 3", 33);
    if (x == 4)
        throw std::out_of_range("out of range at depth 3");
    if (x == 5)
        throw 42;
    return x * 10;
}

[[gnu::noinline]] static int depth2(int x)
{
    Guard g("depth2");
    return depth3(x) + 1;
}

[[gnu::noinline]] static int depth1(int x)
{
    Guard g("depth1");
    try {
        return depth2(x) + 1;
    } catch (const std::out_of_range &e) {
        log_lines.push_back(std::string("depth1 caught and rethrows: ") + e.what());
        throw;
    }
}

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const { return "shape"; }
};
struct Rect : Shape {
    double w, h;
    Rect(double a, double b) : w(a), h(b) {}
    double area() const override { return w * h; }
    std::string name() const override { return "rect"; }
};
struct Square : Rect {
    explicit Square(double s) : Rect(s, s) {}
    std::string name() const override { return "square"; }
};
struct Circle : Shape {
    double r;
    explicit Circle(double x) : r(x) {}
    double area() const override { return 3.0 * r * r; } // integer-friendly pi
};

struct StaticInit {
    int value;
    StaticInit() : value(1234) { std::puts("static constructor ran"); }
};
static StaticInit static_init;

int main()
{
    std::printf("static_init.value = %d\n", static_init.value);
    for (int x = 1; x <= 6; x++) {
        log_lines.clear();
        try {
            int r = depth1(x);
            if (x == 6)
                throw std::logic_error("thrown in main");
            std::printf("x=%d returned %d\n", x, r);
        } catch (const MyError &e) {
            std::printf("x=%d caught MyError \"%s\" code %d\n", x, e.what(), e.code);
        } catch (const std::exception &e) {
            std::printf("x=%d caught std::exception \"%s\"\n", x, e.what());
        } catch (int v) {
            std::printf("x=%d caught int %d\n", x, v);
        }
        for (auto &l : log_lines)
            std::printf("    %s\n", l.c_str());
        std::printf("    live guards: %d\n", live_guards);
    }

    // nested try, exception inside catch handler
    try {
        try {
            throw std::runtime_error("inner");
        } catch (const std::exception &e) {
            throw std::runtime_error(std::string("outer after ") + e.what());
        }
    } catch (const std::exception &e) {
        std::printf("nested: %s\n", e.what());
    }
    // std::exception_ptr
    std::exception_ptr ep;
    try {
        throw MyError("stored", 7);
    } catch (...) {
        ep = std::current_exception();
    }
    try {
        std::rethrow_exception(ep);
    } catch (const MyError &e) {
        std::printf("rethrown exception_ptr: %s %d\n", e.what(), e.code);
    }
    // library-thrown exceptions
    try {
        std::vector<int> v(3);
        (void)v.at(10);
    } catch (const std::out_of_range &) {
        std::printf("vector::at threw out_of_range\n");
    }
    try {
        (void)std::stoi("not a number");
    } catch (const std::invalid_argument &) {
        std::printf("stoi threw invalid_argument\n");
    }

    // virtual dispatch
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.push_back(std::make_unique<Rect>(2, 3));
    shapes.push_back(std::make_unique<Square>(4));
    shapes.push_back(std::make_unique<Circle>(1.5));
    double total = 0;
    for (auto &s : shapes) {
        std::printf("%s area %.2f%s\n", s->name().c_str(), s->area(),
                    dynamic_cast<Rect *>(s.get()) ? " (is a Rect)" : "");
        total += s->area();
    }
    std::printf("total area %.2f\n", total);

    // containers
    std::vector<int> v(100);
    std::iota(v.begin(), v.end(), 1);
    std::reverse(v.begin(), v.end());
    std::sort(v.begin(), v.end(), [](int a, int b) { return (a % 7) < (b % 7) || ((a % 7) == (b % 7) && a < b); });
    std::printf("sorted by mod 7, first ten:");
    for (int i = 0; i < 10; i++)
        std::printf(" %d", v[i]);
    std::printf("\nsum %d\n", std::accumulate(v.begin(), v.end(), 0));

    std::map<std::string, int> counts;
    std::string text = "the quick brown fox jumps over the lazy dog the end";
    std::istringstream in(text);
    std::string w;
    while (in >> w)
        counts[w]++;
    std::printf("word counts:");
    for (auto &kv : counts)
        std::printf(" %s=%d", kv.first.c_str(), kv.second);
    std::printf("\n");

    std::unordered_map<int, std::string> um;
    for (int i = 0; i < 1000; i++)
        um[i * 7919 % 1009] = std::to_string(i);
    std::printf("unordered_map size %zu, um[0]=%s um[1]=%s\n", um.size(), um[0].c_str(), um[1].c_str());

    std::string s;
    for (int i = 0; i < 20; i++)
        s += std::to_string(i * i) + ",";
    std::printf("string length %zu, find(\"100\")=%zu, substr=%s\n", s.size(), s.find("100"),
                s.substr(10, 12).c_str());
    std::ostringstream os;
    os << "stream " << 42 << ' ' << 2.5 << ' ' << std::hex << 255;
    std::printf("%s\n", os.str().c_str());

    std::function<int(int)> fact = [&](int n) { return n <= 1 ? 1 : n * fact(n - 1); };
    std::printf("fact(10) via std::function = %d\n", fact(10));
    return 0;
}
