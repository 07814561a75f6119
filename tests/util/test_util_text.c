/*
 * test_util_text.c - the text helpers of util.h shared by value formatting
 * (col_fmt.c), Delta statistics (dl_writer.c) and the Parquet metadata dump
 * (pq_reader.c): exact decimal text from two's complement bytes, and UTF-8
 * decoding/validation including cut-short multi-byte sequences, and the
 * shortest round-tripping precision of floats and doubles.
 */
#include "test.h"
#include "util/util.h"

#include <math.h>

/* Decimal text of a signed 128-bit value stored in the low w bytes, little-endian. */
static void dec_str(char *out, size_t cap, __int128 v, size_t w, int scale)
{
    uint8_t le[16];
    memcpy(le, &v, 16);
    ls_buf b = {0};
    ls_buf_put_decimal(&b, le, w, scale);
    snprintf(out, cap, "%.*s", (int)b.len, (const char *)b.data);
    ls_buf_free(&b);
}

static void test_decimal_small(void)
{
    char t[64];
    dec_str(t, sizeof t, 12345, 4, 2);
    CHECK_STR(t, "123.45");
    dec_str(t, sizeof t, -12345, 4, 2);
    CHECK_STR(t, "-123.45");
    dec_str(t, sizeof t, 0, 4, 0);
    CHECK_STR(t, "0");
    dec_str(t, sizeof t, 0, 8, 3);
    CHECK_STR(t, "0.000");
    dec_str(t, sizeof t, 7, 4, 0); /* scale 0: no point */
    CHECK_STR(t, "7");
    dec_str(t, sizeof t, -7, 8, 0);
    CHECK_STR(t, "-7");
    dec_str(t, sizeof t, 5, 4, 3); /* scale > digits: leading zeros */
    CHECK_STR(t, "0.005");
    dec_str(t, sizeof t, -5, 4, 3);
    CHECK_STR(t, "-0.005");
    dec_str(t, sizeof t, 100, 4, 2);
    CHECK_STR(t, "1.00");
    dec_str(t, sizeof t, 42, 4, -1); /* a negative scale writes the integer */
    CHECK_STR(t, "42");
    dec_str(t, sizeof t, INT32_MIN, 4, 0);
    CHECK_STR(t, "-2147483648");
    dec_str(t, sizeof t, INT64_MIN, 8, 4);
    CHECK_STR(t, "-922337203685477.5808");
    dec_str(t, sizeof t, -1, 1, 1); /* width 1 sign-extends */
    CHECK_STR(t, "-0.1");
    dec_str(t, sizeof t, 0x7f, 1, 0);
    CHECK_STR(t, "127");
}

static void test_decimal_38_digits(void)
{
    char t[64];
    __int128 max38 = 0;
    for (int i = 0; i < 38; i++)
        max38 = max38 * 10 + 9;
    dec_str(t, sizeof t, max38, 16, 0);
    CHECK_STR(t, "99999999999999999999999999999999999999");
    dec_str(t, sizeof t, -max38, 16, 38);
    CHECK_STR(t, "-0.99999999999999999999999999999999999999");
    dec_str(t, sizeof t, max38, 16, 10);
    CHECK_STR(t, "9999999999999999999999999999.9999999999");
    dec_str(t, sizeof t, 1, 16, 38);
    CHECK_STR(t, "0.00000000000000000000000000000000000001");
    /* the most negative 128-bit value (39 digits) still prints exactly */
    __int128 mn = (__int128)((unsigned __int128)1 << 127);
    dec_str(t, sizeof t, mn, 16, 0);
    CHECK_STR(t, "-170141183460469231731687303715884105728");
    /* an invalid scale above 38 is written as 38, never past the digit buffer */
    dec_str(t, sizeof t, 1, 16, 200);
    CHECK_STR(t, "0.00000000000000000000000000000000000001");
}

static void test_utf8_decode(void)
{
    uint32_t cp = 0;
    CHECK(ls_utf8_decode((const uint8_t *)"A", 1, &cp) == 1 && cp == 'A');
    CHECK(ls_utf8_decode((const uint8_t *)"\xc3\xa9", 2, &cp) == 2 && cp == 0xe9);
    CHECK(ls_utf8_decode((const uint8_t *)"\xe2\x82\xac", 3, &cp) == 3 && cp == 0x20ac);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1f600);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10ffff);
    /* cut short at every multi-byte boundary */
    CHECK(ls_utf8_decode((const uint8_t *)"\xc3", 1, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xe2\x82", 2, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xe2", 1, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf0\x9f\x98", 3, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf0\x9f", 2, &cp) == 0);
    /* malformed: bare continuation, bad lead, bad continuation, overlong, too large */
    CHECK(ls_utf8_decode((const uint8_t *)"\x80", 1, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xff", 1, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf8\x88\x80\x80\x80", 5, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xc3\x41", 2, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xc0\x80", 2, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xe0\x80\x80", 3, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf0\x80\x80\x80", 4, &cp) == 0);
    CHECK(ls_utf8_decode((const uint8_t *)"\xf4\x90\x80\x80", 4, &cp) == 0);
    /* surrogates decode here (Spark counts them), but are not strict UTF-8 */
    CHECK(ls_utf8_decode((const uint8_t *)"\xed\xa0\x80", 3, &cp) == 3 && cp == 0xd800);
    CHECK(ls_utf8_seq((const uint8_t *)"\xed\xa0\x80", 3) == 0);
    CHECK(ls_utf8_seq((const uint8_t *)"\xed\x9f\xbf", 3) == 3); /* U+D7FF */
    CHECK(ls_utf8_seq((const uint8_t *)"\xee\x80\x80", 3) == 3); /* U+E000 */
    /* only the bytes before n are read */
    CHECK(ls_utf8_seq((const uint8_t *)"\xc3\xa9", 1) == 0);
}

static void test_utf8_valid(void)
{
    CHECK(ls_utf8_valid((const uint8_t *)"", 0));
    CHECK(ls_utf8_valid((const uint8_t *)"plain ascii", 11));
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
    size_t n = strlen(s);
    CHECK(ls_utf8_valid((const uint8_t *)s, n));
    /* every cut inside a multi-byte sequence is invalid, every cut between is valid */
    static const int ok_at[] = {1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1};
    for (size_t k = 0; k <= n; k++)
        CHECK_MSG(ls_utf8_valid((const uint8_t *)s, k) == (ok_at[k] != 0), "cut at %zu", k);
    CHECK(!ls_utf8_valid((const uint8_t *)"ab\x80", 3));
    CHECK(!ls_utf8_valid((const uint8_t *)"\xed\xb0\x80", 3)); /* lone low surrogate */
    CHECK(!ls_utf8_valid((const uint8_t *)"x\xc0\xafy", 4));   /* overlong '/' */
    CHECK(!ls_utf8_valid((const uint8_t *)"\xfe", 1));
}

static void test_shortest(void)
{
    CHECK(ls_shortest_precision(0.0, false) == 1);
    CHECK(ls_shortest_precision(3.0, false) == 1);
    CHECK(ls_shortest_precision(0.1, false) == 1);
    CHECK(ls_shortest_precision(850.0, false) == 2);
    CHECK(ls_shortest_precision(0.1 + 0.2, false) == 17); /* 0.30000000000000004 */
    CHECK(ls_shortest_precision(1.0 / 3.0, false) == 16);
    CHECK(ls_shortest_precision((float)0.1f, true) == 1); /* the float, not the double */
    CHECK(ls_shortest_precision((float)(1.0f / 3.0f), true) == 8);
    CHECK(ls_shortest_precision(16777217.0, true) == 8); /* rounds to the float 16777216 */
    CHECK(ls_shortest_precision(5e-324, false) == 1);
    CHECK(ls_shortest_precision(-1.7976931348623157e308, false) == 17);
    ls_buf b = {0};
    CHECK(!ls_buf_put_json_nonfinite(&b, 1.5) && b.len == 0);
    CHECK(ls_buf_put_json_nonfinite(&b, NAN));
    CHECK(ls_buf_put_json_nonfinite(&b, -INFINITY));
    CHECK(ls_buf_put_json_nonfinite(&b, INFINITY));
    CHECK_STR(ls_buf_cstr(&b), "\"NaN\"\"-Infinity\"\"Infinity\"");
    ls_buf_free(&b);
}

int main(void)
{
    RUN(test_decimal_small);
    RUN(test_decimal_38_digits);
    RUN(test_utf8_decode);
    RUN(test_utf8_valid);
    RUN(test_shortest);
    TEST_MAIN_END();
}
