/* The unit tests' one assertion: a failed CHECK says where and what, is
 * counted in `fails`, and the test goes on to the next check. */
#ifndef LEXP_TEST_CHECK_H
#define LEXP_TEST_CHECK_H

#include <stdio.h>

static int fails;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                  \
            fails++;                                                                \
        }                                                                           \
    } while (0)

#endif
