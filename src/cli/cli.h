/*
 * cli.h - shared helpers of the lakestream command-line tool (option
 * parsing, error printing, progress) and the command entry points.
 */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <stdarg.h>

#include "col/col.h"
#include "io/io.h"
#include "parquet/parquet.h"

typedef struct cli_opt {
    const char *name;
    const char **value; /* for valued options */
    bool *flag;         /* for flags */
    bool is_flag;
    const char **multi; /* repeated options */
    int *n_multi, max_multi;
} cli_opt;

#define OPT_VAL(n, p) {(n), (p), NULL, false, NULL, NULL, 0}
#define OPT_FLAG(n, p) {(n), NULL, (p), true, NULL, NULL, 0}
#define OPT_MULTI(n, arr, cnt, max) {(n), NULL, NULL, false, (arr), (cnt), (max)}

/* Returns 0 or the exit code (2) after printing a usage error. */
int cli_parse(int argc, char **argv, const cli_opt *opts, int n_opts, const char **positional,
              int max_positional, int *n_positional, const char *cmd);
int cli_parse_u64(const char *cmd, const char *opt, const char *v, uint64_t *out);
int cli_usage_error(const char *cmd, const char *fmt, ...) LS_PRINTF(2, 3);
/* Prints "lakestream: <what>: <err>" and returns 1. */
int cli_fail(const char *what, const ls_error *err);

typedef struct cli_progress {
    const char *label;
    bool enabled, shown;
    int64_t start_ns, last_ns;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *label);
void cli_progress_update(cli_progress *p, uint64_t rows, uint64_t bytes);
void cli_progress_done(cli_progress *p);

/* Line input from a file or stdin ("-"), read in 8 MiB chunks into one reusable buffer.
 * Unconsumed bytes are buf.data[head .. buf.len). */
typedef struct cli_input {
    int fd;
    const char *name; /* borrowed */
    bool eof;
    ls_buf buf;
    size_t head;
} cli_input;
int cli_input_open(cli_input *s, const char *path, ls_error *err);
/* Moves unconsumed bytes to the front and reads up to 8 MiB more (sets eof at the end). */
int cli_input_fill(cli_input *s, ls_error *err);
/* Length of the unconsumed prefix that ends with a newline (all of it at EOF). */
size_t cli_input_complete(const cli_input *s);
void cli_input_close(cli_input *s);

/* Re-executes the process once with glibc's malloc on transparent huge pages (see
 * cli_mem.c); call before reading any input. Returns when it did not re-execute. */
void cli_use_huge_pages(void);

int cmd_parquet_write(int argc, char **argv);
int cmd_parquet_meta(int argc, char **argv);
int cmd_parquet_cat(int argc, char **argv);

#endif
