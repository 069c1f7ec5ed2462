/*
 * Unit tests for the request arena (src/core/arena.c): zeroed, aligned allocations that stay
 * valid until reset, big blocks in chunks of their own, cleanups in reverse order, and, in
 * ASan builds, the poisoned redzone after every allocation.
 */
#include "unit.h"

#include <stdint.h>

#include "core/arena.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

static void
test_arena__allocations_are_zeroed_aligned_and_distinct(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    unsigned char *prev = NULL;
    for (size_t n = 0; n < 600; n++) {
        unsigned char *p = cp_arena_alloc(&a, n);
        assert_non_null(p);
        assert_true(((uintptr_t)p % 16) == 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xAB, n);
        assert_true(cp_arena_contains(&a, p));
        assert_true(p != prev);
        prev = p;
    }
    /* Bigger than a quarter of a chunk: a chunk of its own, still inside the arena. */
    unsigned char *big = cp_arena_alloc(&a, 100000);
    assert_true(cp_arena_contains(&a, big + 99999));
    int on_stack = 0;
    assert_false(cp_arena_contains(&a, &on_stack));
    cp_arena_reset(&a);
    assert_false(cp_arena_contains(&a, prev));
    /* Reusable after reset. */
    char *s = cp_arena_strdup(&a, "again");
    assert_string_equal(s, "again");
    cp_arena_reset(&a);
}

static int order[3];
static int n_order;

static void
note(void *p)
{
    order[n_order++] = *(int *)p;
}

static void
test_arena__cleanups_run_last_first(void **state)
{
    (void)state;
    struct cp_arena a;
    cp_arena_init(&a);
    static int one = 1, two = 2, three = 3;
    cp_arena_defer(&a, note, &one);
    cp_arena_defer(&a, note, &two);
    cp_arena_defer(&a, note, &three);
    n_order = 0;
    cp_arena_reset(&a);
    assert_int_equal(n_order, 3);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 1);
}

/* Under ASan, the byte after each allocation (small or big) is poisoned and the allocation
 * itself is not: an overflow into the next allocation of the chunk is reported. Without ASan
 * there is nothing to check. */
static void
test_arena__asan_redzone_after_each_allocation(void **state)
{
    (void)state;
#ifdef TEST_ASAN
    struct cp_arena a;
    cp_arena_init(&a);
    static const size_t sizes[] = {1, 15, 16, 17, 100, 5000, 100000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        unsigned char *p = cp_arena_alloc(&a, n);
        assert_null(__asan_region_is_poisoned(p, n));
        assert_true(__asan_address_is_poisoned(p + n));
    }
    cp_arena_reset(&a);
#else
    skip();
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena__allocations_are_zeroed_aligned_and_distinct),
        cmocka_unit_test(test_arena__cleanups_run_last_first),
        cmocka_unit_test(test_arena__asan_redzone_after_each_allocation),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
