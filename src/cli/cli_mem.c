/*
 * cli_mem.c - process memory setup for the heavy commands (parquet write,
 * ingest): glibc's malloc on transparent huge pages.
 *
 * Writers fill large fresh buffers (a row group's compressed pages, batch
 * columns); with 4 KiB pages the first-touch page faults cost a quarter of the
 * run on a VM. glibc's tunable glibc.malloc.hugetlb=1 makes malloc back large
 * blocks with transparent huge pages, but it is read only at process start, so
 * the command re-executes itself once with it set. LS_NO_HUGEPAGES=1 turns this
 * off; a failed exec just carries on.
 */
#include "cli.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_use_huge_pages(void)
{
#if defined(__GLIBC__) && defined(__linux__)
    mallopt(M_ARENA_MAX, 1); /* helper threads' buffers share the (huge-page) main arena */
    const char *off = getenv("LS_NO_HUGEPAGES");
    if ((off && *off && strcmp(off, "0") != 0) || getenv("LS_HUGEPAGES_REEXEC"))
        return;
    const char *tun = getenv("GLIBC_TUNABLES");
    if (tun && strstr(tun, "glibc.malloc.hugetlb"))
        return;
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (!f)
        return;
    ls_buf cl = {0};
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0 && cl.len < (1u << 20))
        ls_buf_append(&cl, chunk, k);
    fclose(f);
    if (cl.len == 0 || cl.len >= (1u << 20) || cl.data[cl.len - 1] != 0) {
        ls_buf_free(&cl);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < cl.len; i++)
        n += cl.data[i] == 0;
    char **args = ls_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0, a = 0; i < cl.len && a < n; a++) {
        args[a] = (char *)cl.data + i;
        i += strlen(args[a]) + 1;
    }
    char *nt = tun && *tun ? ls_xasprintf("%s:glibc.malloc.hugetlb=1", tun)
                           : ls_xstrdup("glibc.malloc.hugetlb=1");
    setenv("GLIBC_TUNABLES", nt, 1);
    setenv("LS_HUGEPAGES_REEXEC", "1", 1);
    execv("/proc/self/exe", args);
    /* exec failed: carry on as we are */
    if (tun)
        setenv("GLIBC_TUNABLES", tun, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    unsetenv("LS_HUGEPAGES_REEXEC");
    free(nt);
    free(args);
    ls_buf_free(&cl);
#endif
}
