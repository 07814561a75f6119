/*
 * cli_input.c - the line-oriented input of the CLI commands that read NDJSON
 * or CSV (parquet write, append): a file or stdin read in 8 MiB chunks into
 * one reusable buffer, from which callers take whole lines.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CLI_READ_CHUNK (8u << 20)

int cli_input_open(cli_input *s, const char *path, ls_error *err)
{
    memset(s, 0, sizeof *s);
    if (!strcmp(path, "-")) {
        s->name = "stdin";
        return LS_OK;
    }
    s->name = path;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return ls_err(err, LS_ERR_IO, "%s: %s", path, strerror(errno));
    return LS_OK;
}

void cli_input_close(cli_input *s)
{
    if (s->fd > 0)
        close(s->fd);
    ls_buf_free(&s->buf);
}

int cli_input_fill(cli_input *s, ls_error *err)
{
    if (s->head) {
        memmove(s->buf.data, s->buf.data + s->head, s->buf.len - s->head);
        s->buf.len -= s->head;
        s->head = 0;
    }
    ls_buf_reserve(&s->buf, CLI_READ_CHUNK);
    size_t got = 0;
    while (got < CLI_READ_CHUNK) {
        ssize_t n = read(s->fd, s->buf.data + s->buf.len, CLI_READ_CHUNK - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ls_err(err, LS_ERR_IO, "%s: read failed: %s", s->name, strerror(errno));
        }
        if (n == 0) {
            s->eof = true;
            break;
        }
        s->buf.len += (size_t)n;
        got += (size_t)n;
    }
    return LS_OK;
}

size_t cli_input_complete(const cli_input *s)
{
    const char *p = (const char *)s->buf.data + s->head;
    size_t n = s->buf.len - s->head;
    if (s->eof)
        return n;
    const char *nl = n ? memrchr(p, '\n', n) : NULL;
    return nl ? (size_t)(nl - p) + 1 : 0;
}
