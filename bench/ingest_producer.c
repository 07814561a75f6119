/* ingest_producer - writes NDJSON events into a landing folder at a fixed rate, for the
 * freshness benchmark (bench/bench_ingest_freshness.sh).
 *
 *   ingest_producer --dir LAND --rate EVENTS_PER_S --seconds S [--roll-ms 100] [--seed 1]
 *
 * Events are appended to a hidden temporary file (".part-N.tmp", ignored by ingest) and the
 * file is renamed to "ev-NNNNNN.json" every --roll-ms, the way producers publish files to a
 * landing zone atomically. Every event carries "ts": the wall-clock time (UTC, microseconds)
 * at which the producer wrote it, so "visible time - ts" is the end-to-end latency (it
 * includes up to --roll-ms of waiting for the rename). Prints "produced N events in S s" on
 * stderr at the end. About 200 bytes per event.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;
static uint64_t rnd(void)
{ /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fmt_ts(int64_t us, char *out, size_t n)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            perror("ingest_producer: write");
            exit(1);
        }
        p += k;
        n -= (size_t)k;
    }
}

static const char *const KINDS[] = {"view", "click", "scroll", "search", "cart", "buy"};

int main(int argc, char **argv)
{
    const char *dir = NULL;
    double rate = 20000, seconds = 30;
    long roll_ms = 100;
    rng_state = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--rate"))
            rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--roll-ms"))
            roll_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            rng_state = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "ingest_producer: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!dir || rate <= 0 || seconds <= 0 || roll_ms <= 0) {
        fprintf(stderr, "usage: ingest_producer --dir LAND --rate N --seconds S [--roll-ms 100] "
                        "[--seed 1]\n");
        return 2;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    char tmp[4096], fin[4096], ts[96];
    int64_t t0 = now_us(), next_roll = t0 + roll_ms * 1000, end = t0 + (int64_t)(seconds * 1e6);
    uint64_t written = 0;
    int file_no = 0, fd = -1;
    for (;;) {
        int64_t now = now_us();
        if (fd < 0) {
            snprintf(tmp, sizeof tmp, "%s/.part-%06d.tmp", dir, file_no);
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) {
                perror(tmp);
                return 1;
            }
        }
        int64_t t = now < end ? now : end;
        uint64_t due = (uint64_t)((double)(t - t0) * rate / 1e6);
        while (written < due) {
            if (cap - len < 512) {
                write_all(fd, buf, len);
                len = 0;
            }
            fmt_ts(now_us(), ts, sizeof ts);
            uint64_t r = rnd();
            len += (size_t)snprintf(
                buf + len, cap - len,
                "{\"id\":%llu,\"ts\":\"%s\",\"user_id\":%llu,\"kind\":\"%s\",\"amount\":%llu.%02llu,"
                "\"tags\":[\"t%llu\",\"u%llu\"],\"geo\":{\"lat\":%lld.%03llu,\"lon\":%lld.%03llu},"
                "\"ok\":%s,\"session\":%llu}\n",
                (unsigned long long)(written + 1), ts, (unsigned long long)(r % 1000000),
                KINDS[(r >> 20) % 6], (unsigned long long)((r >> 24) % 1000),
                (unsigned long long)((r >> 34) % 100), (unsigned long long)((r >> 40) % 16),
                (unsigned long long)((r >> 44) % 8), (long long)((r >> 8) % 180) - 90,
                (unsigned long long)((r >> 16) % 1000), (long long)((r >> 28) % 360) - 180,
                (unsigned long long)((r >> 36) % 1000), (r & 1) ? "true" : "false",
                (unsigned long long)(rnd() >> 11));
            written++;
        }
        if (len) {
            write_all(fd, buf, len);
            len = 0;
        }
        if (now >= next_roll || now >= end) {
            close(fd);
            fd = -1;
            snprintf(fin, sizeof fin, "%s/ev-%06d.json", dir, file_no++);
            if (rename(tmp, fin) != 0) {
                perror(fin);
                return 1;
            }
            next_roll += roll_ms * 1000;
            if (now >= end)
                break;
        }
        struct timespec sl = {0, 1000000}; /* 1 ms */
        nanosleep(&sl, NULL);
    }
    double el = (double)(now_us() - t0) / 1e6;
    fprintf(stderr, "produced %llu events in %.2f s (%.0f/s) in %d files\n",
            (unsigned long long)written, el, (double)written / el, file_no);
    free(buf);
    return 0;
}
