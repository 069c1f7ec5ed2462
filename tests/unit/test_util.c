/*
 * core/util.c's CPU count: what the process may run on, which `taskset` or a container's
 * cpuset narrows (the default number of HTTP threads, and whether seals get a signing thread,
 * follow it).
 */
#include "unit.h"

#include <sched.h>
#include <unistd.h>

#include "core/util.h"

static void
test_util__cpu_count_follows_the_affinity(void **state)
{
    (void)state;
    int all = cp_cpu_count();
    assert_true(all >= 1 && all <= sysconf(_SC_NPROCESSORS_CONF));
    cpu_set_t was, one;
    assert_int_equal(sched_getaffinity(0, sizeof(was), &was), 0);
    assert_int_equal(CPU_COUNT(&was), all);
    int first = 0;
    while (!CPU_ISSET(first, &was))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    assert_int_equal(cp_cpu_count(), 1);
    assert_int_equal(sched_setaffinity(0, sizeof(was), &was), 0);
    assert_int_equal(cp_cpu_count(), all);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util__cpu_count_follows_the_affinity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
