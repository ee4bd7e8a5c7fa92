// Self-checking guest programs (proc_ids, proc_fds, proc_sched): one line
// per check, "WHAT: ok" or "WHAT: FAIL DETAIL", so the expected output is
// all "ok" lines and a failure says which check and what was seen.
#ifndef FERROVM_GUEST_CHECKS_H
#define FERROVM_GUEST_CHECKS_H

#include <stdio.h>

static int failures;

static void check(const char *what, int ok, const char *detail) {
    printf("%s: %s%s\n", what, ok ? "ok" : "FAIL ", ok ? "" : detail);
    if (!ok)
        failures++;
}

#endif
