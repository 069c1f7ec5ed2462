/*
 * Common includes for cmocka unit tests. cmocka.h needs these system headers first.
 * One test binary per module; test names read test_<unit>__<behaviour>.
 */
#ifndef CP_TESTS_UNIT_H
#define CP_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include <cmocka.h>

#endif
