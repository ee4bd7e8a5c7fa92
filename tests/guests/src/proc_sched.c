// Scheduling: nice values (getpriority/setpriority), policies and their
// priority ranges, sched_param, the round-robin interval, and the errors
// for bad arguments. Every line is relative to what the process started
// with, so the output does not depend on how the test is run.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"

int main(void) {
    errno = 0;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    check("getpriority", errno == 0 && nice0 >= -20 && nice0 <= 19, "");
    // Anyone may lower their own priority (raise the nice value).
    int up = nice0 < 19 ? nice0 + 1 : 19;
    check("setpriority up", setpriority(PRIO_PROCESS, 0, up) == 0 && getpriority(PRIO_PROCESS, 0) == up, "");
    check("getpriority of this process by pid", getpriority(PRIO_PROCESS, getpid()) == up, "");
    // The raw call returns 20 - nice, never negative.
    check("raw getpriority is 20 - nice", syscall(SYS_getpriority, PRIO_PROCESS, 0) == 20 - up, "");
    errno = 0;
    check("getpriority bad which is EINVAL", getpriority(7, 0) == -1 && errno == EINVAL, "");

    check("sched_getscheduler is SCHED_OTHER", sched_getscheduler(0) == SCHED_OTHER, "");
    check("SCHED_FIFO priorities 1..99", sched_get_priority_min(SCHED_FIFO) == 1 && sched_get_priority_max(SCHED_FIFO) == 99, "");
    check("SCHED_OTHER priorities 0..0", sched_get_priority_min(SCHED_OTHER) == 0 && sched_get_priority_max(SCHED_OTHER) == 0, "");
    errno = 0;
    check("unknown policy is EINVAL", sched_get_priority_max(42) == -1 && errno == EINVAL, "");
    struct sched_param sp = {.sched_priority = 5};
    check("sched_getparam", sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "");
    check("sched_setparam", sched_setparam(0, &sp) == 0, "");
    check("sched_setscheduler SCHED_BATCH", sched_setscheduler(0, SCHED_BATCH, &sp) == 0 && sched_getscheduler(0) == SCHED_BATCH, "");
    check("sched_setscheduler back to SCHED_OTHER", sched_setscheduler(0, SCHED_OTHER, &sp) == 0 && sched_getscheduler(0) == SCHED_OTHER, "");
    errno = 0;
    check("SCHED_OTHER with priority 1 is EINVAL", (sp.sched_priority = 1, sched_setscheduler(0, SCHED_OTHER, &sp)) == -1 && errno == EINVAL, "");
    errno = 0;
    check("sched_setparam NULL is EINVAL", syscall(SYS_sched_setparam, 0, NULL) == -1 && errno == EINVAL, "");
    errno = 0;
    check("sched_getparam bad pointer is EFAULT", syscall(SYS_sched_getparam, 0, (void *)8) == -1 && errno == EFAULT, "");
    errno = 0;
    check("sched_getscheduler(-1) is EINVAL", sched_getscheduler(-1) == -1 && errno == EINVAL, "");
    struct timespec ts = {-1, -1};
    check("sched_rr_get_interval", sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec >= 0 && ts.tv_nsec >= 0, "");
    cpu_set_t set;
    errno = 0;
    check("sched_getaffinity(-1) is ESRCH", syscall(SYS_sched_getaffinity, -1, sizeof set, &set) == -1 && errno == ESRCH, "");
    printf("done: %s\n", failures ? "failures" : "all ok");
    return failures != 0;
}
