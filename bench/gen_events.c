/* gen_events - fast, seeded generator of NDJSON click-stream events for benchmarks and tests.
 *
 *   gen_events --rows N [--seed S] [--start-ts 2024-01-01T00:00:00Z] [--days D]
 *
 * One event per line, about 250 bytes (the perf brief's data has 245), fields in this fixed order
 * ("referrer" is sparse, on about 4% of the rows; "amount" is null on about 30%):
 *   {"event_id":"<uuid v4>","ts":"YYYY-MM-DDTHH:MM:SS.ffffffZ","user_id":<int>,"session":<int64>,
 *    "kind":"<one of 12>","amount":<double|null>,"score":<double>,"tags":[0-4 short strings],
 *    "geo":{"lat":<double>,"lon":<double>},"referrer":"<string>","ok":<bool>}
 * Timestamps rise steadily over D days from the start with a few seconds of jitter (so they are
 * slightly out of order, as real streams are). The same seed gives the same bytes on every machine:
 * an own PRNG (splitmix64 seeding xoshiro256**) and no printf in the hot loop (>200 MB/s).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(rng_t *r) { /* xoshiro256** */
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) without modulo bias worth caring about (n is small; 64-bit multiply-shift). */
static uint64_t below(rng_t *r, uint64_t n) {
    return (uint64_t)(((unsigned __int128)next_u64(r) * n) >> 64);
}

/* Output buffer flushed with write(2). */
typedef struct {
    char *buf;
    size_t len, cap;
} out_t;

static void out_flush(out_t *o) {
    size_t off = 0;
    while (off < o->len) {
        ssize_t n = write(1, o->buf + off, o->len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EPIPE) perror("gen_events: write");
            exit(1);
        }
        off += (size_t)n;
    }
    o->len = 0;
}

static char *put_str(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, lit) put_str((p), (lit), sizeof(lit) - 1)

static char *put_u64(char *p, uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static char *put_i64(char *p, int64_t v) {
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

static char *put_2d(char *p, unsigned v) {
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* A decimal number v / 10^digits ("-12.5", "0.0042", "7"): fixed-point text, trailing zeros dropped. */
static char *put_fixed(char *p, int64_t v, int digits) {
    static const uint64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) *p++ = '-';
    uint64_t ip = a / pow10[digits], fp = a % pow10[digits];
    p = put_u64(p, ip);
    if (fp) {
        int d = digits;
        while (fp % 10 == 0) {
            fp /= 10;
            d--;
        }
        *p++ = '.';
        char tmp[16];
        for (int i = d - 1; i >= 0; i--) {
            tmp[i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        p = put_str(p, tmp, (size_t)d);
    }
    return p;
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z]" -> microseconds since the epoch (UTC). */
static int parse_ts(const char *s, int64_t *out) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
    long frac = 0;
    int fd = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || mo < 1 || mo > 12 || d < 1 || d > 31) return -1;
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2) return -1;
        p += 1 + k;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &k) != 1) return -1;
            p += 1 + k;
            if (*p == '.') {
                p++;
                while (*p >= '0' && *p <= '9') {
                    if (fd < 6) {
                        frac = frac * 10 + (*p - '0');
                        fd++;
                    }
                    p++;
                }
                while (fd < 6) {
                    frac *= 10;
                    fd++;
                }
            }
        }
    }
    if (*p == 'Z') p++;
    if (*p || h > 23 || mi > 59 || sec > 59) return -1;
    *out = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000 + frac;
    return 0;
}

static const char HEX[] = "0123456789abcdef";

static char *put_uuid_v4(char *p, rng_t *r) {
    uint64_t hi = next_u64(r), lo = next_u64(r);
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; /* version 4 */
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
    unsigned char b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
    }
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = HEX[b[i] >> 4];
        *p++ = HEX[b[i] & 15];
    }
    return p;
}

typedef struct {
    const char *s;
    size_t n;
} str_t;
#define S(x) {x, sizeof(x) - 1}

static const str_t KINDS[12] = {S("page_view"), S("click"), S("scroll"), S("search"), S("add_to_cart"),
                                S("remove_from_cart"), S("purchase"), S("login"), S("logout"), S("signup"),
                                S("share"), S("video_play")};
/* Cumulative weights out of 1000: page views dominate, as in real click streams. */
static const unsigned KIND_CUM[12] = {380, 580, 700, 780, 840, 860, 890, 920, 940, 955, 975, 1000};

static const str_t TAGS[16] = {S("new"), S("sale"), S("mobile"), S("promo"), S("vip"), S("beta"),
                               S("ios"), S("web"), S("eu"), S("us"), S("apac"), S("trial"),
                               S("ab"), S("hot"), S("gift"), S("ret")};

static const str_t REFERRERS[6] = {S("https://search.example.com/?q="), S("https://news.example.org/item?id="),
                                   S("https://social.example.net/p/"), S("https://mail.example.com/c/"),
                                   S("https://partner.example.io/r/"), S("android-app://com.example.app/")};

static void usage(void) {
    fprintf(stderr, "usage: gen_events --rows N [--seed S] [--start-ts 2024-01-01T00:00:00Z] [--days D]\n");
    exit(2);
}

static uint64_t parse_u64_arg(const char *name, const char *v) {
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || !end || *end || v[0] == '-' || v[0] == '\0') {
        fprintf(stderr, "gen_events: %s expects a non-negative integer, got '%s'\n", name, v);
        exit(2);
    }
    return (uint64_t)x;
}

int main(int argc, char **argv) {
    uint64_t rows = 0, seed = 1, days = 1;
    int have_rows = 0;
    int64_t start_us = 0;
    if (parse_ts("2024-01-01T00:00:00Z", &start_us) != 0) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(a, "--rows") == 0) {
            rows = parse_u64_arg(a, v);
            have_rows = 1;
        } else if (strcmp(a, "--seed") == 0) {
            seed = parse_u64_arg(a, v);
        } else if (strcmp(a, "--days") == 0) {
            days = parse_u64_arg(a, v);
            if (days == 0 || days > 100000) {
                fprintf(stderr, "gen_events: --days must be 1..100000\n");
                return 2;
            }
        } else if (strcmp(a, "--start-ts") == 0) {
            if (parse_ts(v, &start_us) != 0) {
                fprintf(stderr, "gen_events: --start-ts expects YYYY-MM-DDTHH:MM:SS[.ffffff]Z, got '%s'\n", v);
                return 2;
            }
        } else {
            usage();
        }
    }
    if (!have_rows) usage();

    rng_t rng;
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++) rng.s[i] = splitmix64(&sm);

    out_t o = {malloc(1 << 20), 0, 1 << 20};
    if (!o.buf) {
        perror("gen_events");
        return 1;
    }
    const int64_t span_us = (int64_t)days * 86400 * 1000000;
    int64_t cached_day = INT64_MIN;
    char day_text[64]; /* "YYYY-MM-DDT" */
    size_t day_len = 0;

    for (uint64_t i = 0; i < rows; i++) {
        if (o.cap - o.len < 1024) out_flush(&o);
        char *p = o.buf + o.len;

        p = PUT_LIT(p, "{\"event_id\":\"");
        p = put_uuid_v4(p, &rng);

        /* steady progress over the span plus up to +-3 s of jitter, never before the start */
        int64_t ts = start_us + (int64_t)((unsigned __int128)i * (uint64_t)span_us / (rows ? rows : 1));
        ts += (int64_t)below(&rng, 6000001) - 3000000;
        if (ts < start_us) ts = start_us;
        int64_t day = ts >= 0 ? ts / 86400000000LL : -((-ts + 86399999999LL) / 86400000000LL);
        int64_t us_of_day = ts - day * 86400000000LL;
        if (day != cached_day) {
            int y;
            unsigned m, d;
            civil_from_days(day, &y, &m, &d);
            snprintf(day_text, sizeof day_text, "%04d-%02u-%02uT", y, m, d);
            day_len = strlen(day_text);
            cached_day = day;
        }
        p = PUT_LIT(p, "\",\"ts\":\"");
        p = put_str(p, day_text, day_len);
        unsigned secs = (unsigned)(us_of_day / 1000000);
        unsigned us = (unsigned)(us_of_day % 1000000);
        p = put_2d(p, secs / 3600);
        *p++ = ':';
        p = put_2d(p, secs / 60 % 60);
        *p++ = ':';
        p = put_2d(p, secs % 60);
        *p++ = '.';
        for (int k = 5; k >= 0; k--) {
            p[k] = (char)('0' + us % 10);
            us /= 10;
        }
        p += 6;

        p = PUT_LIT(p, "Z\",\"user_id\":");
        p = put_u64(p, 1 + below(&rng, 1000000));
        p = PUT_LIT(p, ",\"session\":");
        p = put_i64(p, (int64_t)((1ULL << 53) + (next_u64(&rng) >> 9))); /* > 2^53: exact int64 needed */

        unsigned kw = (unsigned)below(&rng, 1000);
        int kind = 0;
        while (kind < 11 && kw >= KIND_CUM[kind]) kind++;
        p = PUT_LIT(p, ",\"kind\":\"");
        p = put_str(p, KINDS[kind].s, KINDS[kind].n);

        p = PUT_LIT(p, "\",\"amount\":");
        if (below(&rng, 10) < 3) {
            p = PUT_LIT(p, "null");
        } else {
            p = put_fixed(p, (int64_t)(1 + below(&rng, 99999)), 2); /* 0.01 .. 999.99 */
        }
        p = PUT_LIT(p, ",\"score\":");
        p = put_fixed(p, (int64_t)below(&rng, 10000), 4); /* [0, 1) with up to 4 digits */

        p = PUT_LIT(p, ",\"tags\":[");
        unsigned ntags = (unsigned)below(&rng, 5);
        for (unsigned t = 0; t < ntags; t++) {
            const str_t *tg = &TAGS[below(&rng, 16)];
            if (t) *p++ = ',';
            *p++ = '"';
            p = put_str(p, tg->s, tg->n);
            *p++ = '"';
        }
        p = PUT_LIT(p, "],\"geo\":{\"lat\":");
        p = put_fixed(p, (int64_t)below(&rng, 18000001) - 9000000, 5);
        p = PUT_LIT(p, ",\"lon\":");
        p = put_fixed(p, (int64_t)below(&rng, 36000001) - 18000000, 5);
        *p++ = '}';

        if (below(&rng, 100) < 4) {
            const str_t *rf = &REFERRERS[below(&rng, 6)];
            p = PUT_LIT(p, ",\"referrer\":\"");
            p = put_str(p, rf->s, rf->n);
            p = put_u64(p, below(&rng, 1000000));
            *p++ = '"';
        }
        if (below(&rng, 10) < 9) {
            p = PUT_LIT(p, ",\"ok\":true}\n");
        } else {
            p = PUT_LIT(p, ",\"ok\":false}\n");
        }
        o.len = (size_t)(p - o.buf);
    }
    out_flush(&o);
    free(o.buf);
    return 0;
}
