/* Double-precision physics: the classic 5-body planetary simulation
 * (symplectic Euler, sqrt and division in the inner loop) and a damped
 * spring-mass chain. Results are printed as bit-pattern checksums so any
 * rounding difference shows. SIZE = thousands of steps. */
#include <math.h>
#include "bench.h"

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

typedef struct { double x, y, z, vx, vy, vz, mass; } body_t;

static body_t bodies[5] = {
    { 0, 0, 0, 0, 0, 0, SOLAR_MASS },
    { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
      1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
      -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS },
    { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
      -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
      2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS },
    { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
      2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
      -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS },
    { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
      2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
      -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS },
};

static void advance(double dt)
{
    for (int i = 0; i < 5; i++) {
        body_t *a = &bodies[i];
        for (int j = i + 1; j < 5; j++) {
            body_t *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            a->vx -= dx * b->mass * mag; a->vy -= dy * b->mass * mag; a->vz -= dz * b->mass * mag;
            b->vx += dx * a->mass * mag; b->vy += dy * a->mass * mag; b->vz += dz * a->mass * mag;
        }
    }
    for (int i = 0; i < 5; i++) {
        body_t *a = &bodies[i];
        a->x += dt * a->vx; a->y += dt * a->vy; a->z += dt * a->vz;
    }
}

static double energy(void)
{
    double e = 0;
    for (int i = 0; i < 5; i++) {
        body_t *a = &bodies[i];
        e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < 5; j++) {
            body_t *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

#define CHAIN 64

static uint64_t springs(long steps)
{
    double x[CHAIN], v[CHAIN];
    for (int i = 0; i < CHAIN; i++) { x[i] = i * 1.25; v[i] = 0; }
    x[CHAIN - 1] += 3.0;
    const double k = 40.0, damp = 0.02, dt = 0.001, rest = 1.25;
    for (long s = 0; s < steps; s++) {
        for (int i = 1; i < CHAIN - 1; i++) {
            double f = k * ((x[i + 1] - x[i]) - rest) - k * ((x[i] - x[i - 1]) - rest) - damp * v[i];
            v[i] += f * dt;
        }
        double fl = k * ((x[CHAIN - 2] - x[CHAIN - 1]) + rest) - damp * v[CHAIN - 1];
        v[CHAIN - 1] += fl * dt;
        for (int i = 1; i < CHAIN; i++) x[i] += v[i] * dt;
    }
    uint64_t h = 0;
    for (int i = 0; i < CHAIN; i++) h = mix64(mix64(h, dbits(x[i])), dbits(v[i]));
    return h;
}

int main(int argc, char **argv)
{
    long steps = bench_size(argc, argv, 5000) * 1000;
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++) {
        px += bodies[i].vx * bodies[i].mass; py += bodies[i].vy * bodies[i].mass; pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS; bodies[0].vy = -py / SOLAR_MASS; bodies[0].vz = -pz / SOLAR_MASS;
    double e0 = energy();
    for (long i = 0; i < steps; i++) advance(0.01);
    double e1 = energy();
    printf("nbody energy %.9f %.9f\n", e0, e1);
    uint64_t h = mix64(dbits(e0), dbits(e1));
    for (int i = 0; i < 5; i++) h = mix64(mix64(h, dbits(bodies[i].x)), dbits(bodies[i].vz));
    bench_result("nbody", "bodies", h);
    bench_result("nbody", "springs", springs(steps / 50));
    return 0;
}
