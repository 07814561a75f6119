/*
 * test.h - the minimal unit-test harness used by tests/<layer>/test_*.c.
 * Each test binary prints one line per failed check, and finally
 * "RESULT <passed> <failed>" which tests/run.sh adds up.
 */
#ifndef LS_TEST_H
#define LS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail, t_cur_failed;
static const char *t_cur;

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            printf("FAIL %s:%d [%s] %s\n", __FILE__, __LINE__, t_cur, #cond);                   \
            t_cur_failed = 1;                                                                   \
        }                                                                                       \
    } while (0)
#define CHECK_MSG(cond, ...)                                                                    \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            printf("FAIL %s:%d [%s] %s: ", __FILE__, __LINE__, t_cur, #cond);                   \
            printf(__VA_ARGS__);                                                                \
            printf("\n");                                                                       \
            t_cur_failed = 1;                                                                   \
        }                                                                                       \
    } while (0)
#define CHECK_OK(expr, errp)                                                                    \
    do {                                                                                        \
        int rc_ = (expr);                                                                       \
        if (rc_ != 0) {                                                                         \
            printf("FAIL %s:%d [%s] %s -> %d: %s\n", __FILE__, __LINE__, t_cur, #expr, rc_,     \
                   (errp)->msg);                                                                \
            t_cur_failed = 1;                                                                   \
        }                                                                                       \
    } while (0)
#define CHECK_STR(a, b)                                                                         \
    do {                                                                                        \
        const char *a_ = (a), *b_ = (b);                                                        \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                \
            printf("FAIL %s:%d [%s] %s == %s: '%s' vs '%s'\n", __FILE__, __LINE__, t_cur, #a, #b, \
                   a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
            t_cur_failed = 1;                                                                   \
        }                                                                                       \
    } while (0)

#define RUN(fn)                                                                                 \
    do {                                                                                        \
        t_cur = #fn;                                                                            \
        t_cur_failed = 0;                                                                       \
        fn();                                                                                   \
        if (t_cur_failed) {                                                                     \
            t_fail++;                                                                           \
            printf("not ok %s\n", #fn);                                                         \
        } else {                                                                                \
            t_pass++;                                                                           \
            printf("ok %s\n", #fn);                                                             \
        }                                                                                       \
    } while (0)

#define TEST_MAIN_END()                                                                         \
    do {                                                                                        \
        printf("RESULT %d %d\n", t_pass, t_fail);                                               \
        return t_fail ? 1 : 0;                                                                  \
    } while (0)

/* Directory of the shared corpora (../shared from the repo root) or NULL. */
static inline const char *t_shared_dir(void)
{
    const char *e = getenv("LS_SHARED_DIR");
    return e && *e ? e : NULL;
}

#endif
