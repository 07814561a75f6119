/*
 * ing_folder.c - discovery of files in a landing folder: inotify when the
 * kernel gives it (new files are seen the moment they are closed after
 * writing or renamed into the folder), with a listing fallback.
 *
 * Every name seen is remembered; a listing stat()s only names it has not seen
 * before, so known files are never examined again by the fallback. A file is
 * reported READY once it is complete: immediately on IN_CLOSE_WRITE or
 * IN_MOVED_TO, else (found by listing, or created and not yet closed) when its
 * size and mtime have not changed for settle_ms. With inotify, a known file
 * that is closed after writing, renamed over or touched is stat()ed again and
 * reported READY again if its size or mtime changed: the engine then compares
 * with its manifest and reports the change. Deleted files are reported so the
 * engine can forget them. Names with a component starting with '.' or '_' are
 * ignored (temporary files of producers that write and rename, Spark's rule).
 * On an inotify queue overflow, the folder is listed again.
 */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 32
#define EV_BUF (64 * 1024)

enum { ST_SETTLING, ST_EMITTED };

typedef struct fentry fentry;
struct fentry {
    fentry *next; /* hash chain */
    char *name;
    uint64_t hash;
    int state;
    uint64_t size;   /* last stat */
    int64_t mtime;
    uint64_t esize;  /* last emitted */
    int64_t emtime;
    int64_t checked_ms; /* when size/mtime last changed (settling) */
    uint32_t gen;       /* listing generation that last saw it */
    bool settling_listed;
};

typedef struct watch {
    int wd;
    char *rel; /* "" for the root, else "a/b" */
} watch;

struct ls_folder {
    char *root;
    int ifd;
    bool listing_only;
    int64_t settle_ms;
    bool first, relist;
    uint32_t gen;
    fentry **ht;
    size_t ht_cap, n_entries;
    fentry **settling; /* entries in ST_SETTLING */
    size_t n_settling, cap_settling;
    watch *watches;
    size_t n_watches, cap_watches;
    char *evbuf;
};

/* ---- helpers ------------------------------------------------------------------ */

static bool ignored_component(const char *name)
{
    return name[0] == '.' || name[0] == '_';
}

static int64_t now_ms(void) { return ls_now_micros() / 1000; }

static int64_t st_mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

static char *join(const char *a, const char *b)
{
    if (!*a)
        return ls_xstrdup(b);
    return ls_xasprintf("%s/%s", a, b);
}

static fentry *find(ls_folder *f, const char *name, uint64_t h)
{
    for (fentry *e = f->ht[h & (f->ht_cap - 1)]; e; e = e->next)
        if (e->hash == h && !strcmp(e->name, name))
            return e;
    return NULL;
}

static void ht_grow(ls_folder *f)
{
    size_t ncap = f->ht_cap * 2;
    fentry **nt = ls_xcalloc(ncap, sizeof(fentry *));
    for (size_t i = 0; i < f->ht_cap; i++)
        for (fentry *e = f->ht[i], *nx; e; e = nx) {
            nx = e->next;
            e->next = nt[e->hash & (ncap - 1)];
            nt[e->hash & (ncap - 1)] = e;
        }
    free(f->ht);
    f->ht = nt;
    f->ht_cap = ncap;
}

static fentry *add_entry(ls_folder *f, const char *name, uint64_t h)
{
    if (f->n_entries + 1 > f->ht_cap * 3 / 4)
        ht_grow(f);
    fentry *e = ls_xcalloc(1, sizeof *e);
    e->name = ls_xstrdup(name);
    e->hash = h;
    e->next = f->ht[h & (f->ht_cap - 1)];
    f->ht[h & (f->ht_cap - 1)] = e;
    f->n_entries++;
    return e;
}

static void settling_add(ls_folder *f, fentry *e)
{
    if (e->settling_listed)
        return;
    if (f->n_settling == f->cap_settling) {
        f->cap_settling = f->cap_settling ? 2 * f->cap_settling : 64;
        f->settling = ls_xrealloc(f->settling, f->cap_settling * sizeof(fentry *));
    }
    f->settling[f->n_settling++] = e;
    e->settling_listed = true;
}

static void settling_drop(ls_folder *f, fentry *e)
{
    if (!e->settling_listed)
        return;
    for (size_t i = 0; i < f->n_settling; i++)
        if (f->settling[i] == e) {
            f->settling[i] = f->settling[--f->n_settling];
            break;
        }
    e->settling_listed = false;
}

static void remove_entry(ls_folder *f, fentry *e)
{
    settling_drop(f, e);
    fentry **pp = &f->ht[e->hash & (f->ht_cap - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    f->n_entries--;
    free(e->name);
    free(e);
}

static void obs_push(ls_obs_list *l, const char *name, uint64_t size, int64_t mtime,
                     ls_obs_kind kind)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = ls_xrealloc(l->items, l->cap * sizeof(ls_file_obs));
    }
    l->items[l->n++] = (ls_file_obs){ls_xstrdup(name), size, mtime, kind};
}

void ls_obs_list_clear(ls_obs_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].name);
    l->n = 0;
}

void ls_obs_list_free(ls_obs_list *l)
{
    ls_obs_list_clear(l);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static void emit(fentry *e, ls_obs_list *out)
{
    if (e->state == ST_EMITTED && e->esize == e->size && e->emtime == e->mtime)
        return;
    e->state = ST_EMITTED;
    e->esize = e->size;
    e->emtime = e->mtime;
    obs_push(out, e->name, e->size, e->mtime, LS_OBS_READY);
}

/* stat of a relative name; false when it is gone or not a regular file */
static bool stat_rel(ls_folder *f, const char *rel, struct stat *st)
{
    char *p = join(f->root, rel);
    bool ok = stat(p, st) == 0 && S_ISREG(st->st_mode);
    free(p);
    return ok;
}

/* ---- inotify watches ---------------------------------------------------------------- */

static const uint32_t WATCH_MASK = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                   IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;

static void add_watch(ls_folder *f, const char *rel)
{
    if (f->ifd < 0)
        return;
    char *p = join(f->root, rel);
    int wd = inotify_add_watch(f->ifd, p, WATCH_MASK);
    free(p);
    if (wd < 0) {
        /* out of watches (or the directory vanished): fall back to listing for good */
        if (errno != ENOENT) {
            close(f->ifd);
            f->ifd = -1;
            f->listing_only = true;
        }
        return;
    }
    for (size_t i = 0; i < f->n_watches; i++)
        if (f->watches[i].wd == wd) {
            free(f->watches[i].rel);
            f->watches[i].rel = ls_xstrdup(rel);
            return;
        }
    if (f->n_watches == f->cap_watches) {
        f->cap_watches = f->cap_watches ? 2 * f->cap_watches : 16;
        f->watches = ls_xrealloc(f->watches, f->cap_watches * sizeof(watch));
    }
    f->watches[f->n_watches++] = (watch){wd, ls_xstrdup(rel)};
}

static const char *watch_rel(ls_folder *f, int wd)
{
    for (size_t i = 0; i < f->n_watches; i++)
        if (f->watches[i].wd == wd)
            return f->watches[i].rel;
    return NULL;
}

static void drop_watch(ls_folder *f, int wd)
{
    for (size_t i = 0; i < f->n_watches; i++)
        if (f->watches[i].wd == wd) {
            free(f->watches[i].rel);
            f->watches[i] = f->watches[--f->n_watches];
            return;
        }
}

/* ---- listing ----------------------------------------------------------------------- */

static int list_dir(ls_folder *f, const char *rel, int depth, bool watch_dirs, ls_error *err)
{
    if (depth > MAX_DEPTH)
        return LS_OK;
    char *p = join(f->root, rel);
    DIR *d = opendir(p);
    if (!d) {
        int e = errno;
        int rc = (e == ENOENT && *rel) ? LS_OK
                                        : ls_err(err, LS_ERR_IO, "landing folder %s: %s", p,
                                                 strerror(e));
        free(p);
        return rc;
    }
    int dfd = dirfd(d);
    struct dirent *de;
    int rc = LS_OK;
    while (rc == LS_OK && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (ignored_component(n))
            continue;
        char *name = join(rel, n);
        unsigned char t = de->d_type;
        uint64_t h = ls_hash64(name, strlen(name), 7);
        fentry *e = (t == DT_DIR) ? NULL : find(f, name, h);
        if (e) { /* known: never stat'ed again by a listing */
            e->gen = f->gen;
            free(name);
            continue;
        }
        struct stat st;
        if (fstatat(dfd, n, &st, 0) != 0) {
            free(name);
            continue; /* vanished meanwhile */
        }
        if (S_ISDIR(st.st_mode)) {
            if (watch_dirs)
                add_watch(f, name);
            rc = list_dir(f, name, depth + 1, watch_dirs, err);
        } else if (S_ISREG(st.st_mode)) {
            e = find(f, name, h);
            if (!e) {
                e = add_entry(f, name, h);
                e->state = ST_SETTLING;
                e->size = (uint64_t)st.st_size;
                e->mtime = st_mtime_ms(&st);
                e->checked_ms = now_ms();
                settling_add(f, e);
            }
            e->gen = f->gen;
        }
        free(name);
    }
    closedir(d);
    free(p);
    return rc;
}

/* After a full listing: names not seen any more were deleted. */
static void sweep_deleted(ls_folder *f, ls_obs_list *out)
{
    for (size_t i = 0; i < f->ht_cap; i++)
        for (fentry *e = f->ht[i], *nx; e; e = nx) {
            nx = e->next;
            if (e->gen != f->gen) {
                obs_push(out, e->name, e->size, e->mtime, LS_OBS_DELETED);
                remove_entry(f, e);
            }
        }
}

/* ---- inotify events ------------------------------------------------------------------- */

static int read_events(ls_folder *f, ls_obs_list *out, ls_error *err)
{
    for (;;) {
        ssize_t k = read(f->ifd, f->evbuf, EV_BUF);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return LS_OK;
            if (errno == EINTR)
                continue;
            return ls_err(err, LS_ERR_IO, "inotify read failed: %s", strerror(errno));
        }
        if (k == 0)
            return LS_OK;
        for (char *p = f->evbuf; p < f->evbuf + k;) {
            struct inotify_event *ev = (struct inotify_event *)(void *)p;
            p += sizeof(struct inotify_event) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                f->relist = true;
                continue;
            }
            if (ev->mask & (IN_DELETE_SELF | IN_IGNORED)) {
                drop_watch(f, ev->wd);
                continue;
            }
            const char *dir = watch_rel(f, ev->wd);
            if (!dir || ev->len == 0 || ignored_component(ev->name))
                continue;
            char *name = join(dir, ev->name);
            uint64_t h = ls_hash64(name, strlen(name), 7);
            fentry *e = find(f, name, h);
            if (ev->mask & IN_ISDIR) {
                if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                    add_watch(f, name);
                    int rc = list_dir(f, name, 1, true, err);
                    if (rc) {
                        free(name);
                        return rc;
                    }
                }
                free(name);
                continue;
            }
            if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                if (e) {
                    obs_push(out, e->name, e->size, e->mtime, LS_OBS_DELETED);
                    remove_entry(f, e);
                }
                free(name);
                continue;
            }
            struct stat st;
            if (!stat_rel(f, name, &st)) {
                free(name);
                continue;
            }
            if (!e) {
                e = add_entry(f, name, h);
                e->state = ST_SETTLING;
                e->gen = f->gen;
            }
            uint64_t sz = (uint64_t)st.st_size;
            int64_t mt = st_mtime_ms(&st);
            if (sz != e->size || mt != e->mtime)
                e->checked_ms = now_ms();
            e->size = sz;
            e->mtime = mt;
            if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                settling_drop(f, e); /* complete now */
                emit(e, out);
            } else if (ev->mask & IN_CREATE) {
                if (e->state == ST_EMITTED) /* re-created under a known name */
                    e->state = ST_SETTLING;
                settling_add(f, e);
            } else if (ev->mask & IN_ATTRIB) {
                if (e->state == ST_EMITTED)
                    emit(e, out); /* touched: reported when size/mtime changed */
                else
                    settling_add(f, e);
            }
            free(name);
        }
    }
}

/* Settling entries whose size/mtime held still for settle_ms become READY. */
static void check_settling(ls_folder *f, ls_obs_list *out)
{
    int64_t now = now_ms();
    for (size_t i = 0; i < f->n_settling;) {
        fentry *e = f->settling[i];
        struct stat st;
        if (!stat_rel(f, e->name, &st)) {
            i++;
            continue; /* a deletion event or the next listing removes it */
        }
        uint64_t sz = (uint64_t)st.st_size;
        int64_t mt = st_mtime_ms(&st);
        if (sz != e->size || mt != e->mtime) {
            e->size = sz;
            e->mtime = mt;
            e->checked_ms = now;
            i++;
            continue;
        }
        int64_t age = now - (mt > e->checked_ms ? mt : e->checked_ms);
        if (age >= f->settle_ms || now - mt >= f->settle_ms) {
            f->settling[i] = f->settling[--f->n_settling];
            e->settling_listed = false;
            emit(e, out);
            continue;
        }
        i++;
    }
}

/* ---- public ----------------------------------------------------------------------------- */

int ls_folder_open(const char *dir, bool listing_only, int64_t settle_ms, ls_folder **out,
                   ls_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0)
        return ls_err(err, errno == ENOENT ? LS_ERR_NOTFOUND : LS_ERR_IO, "landing folder %s: %s",
                      dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ls_err(err, LS_ERR_INVALID, "landing folder %s is not a directory", dir);
    ls_folder *f = ls_xcalloc(1, sizeof *f);
    f->root = ls_xstrdup(dir);
    size_t rl = strlen(f->root);
    while (rl > 1 && f->root[rl - 1] == '/')
        f->root[--rl] = 0;
    f->settle_ms = settle_ms < 0 ? 0 : settle_ms;
    f->listing_only = listing_only;
    f->ifd = -1;
    f->first = true;
    f->ht_cap = 256;
    f->ht = ls_xcalloc(f->ht_cap, sizeof(fentry *));
    if (!listing_only) {
        f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (f->ifd < 0)
            f->listing_only = true;
        else {
            f->evbuf = ls_xmalloc(EV_BUF);
            add_watch(f, "");
        }
    }
    *out = f;
    return LS_OK;
}

void ls_folder_free(ls_folder *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ht_cap; i++)
        for (fentry *e = f->ht[i], *nx; e; e = nx) {
            nx = e->next;
            free(e->name);
            free(e);
        }
    free(f->ht);
    free(f->settling);
    for (size_t i = 0; i < f->n_watches; i++)
        free(f->watches[i].rel);
    free(f->watches);
    if (f->ifd >= 0)
        close(f->ifd);
    free(f->evbuf);
    free(f->root);
    free(f);
}

int ls_folder_poll(ls_folder *f, ls_obs_list *out, ls_error *err)
{
    int rc = LS_OK;
    /* events first: a file created before the listing is then known to the listing */
    if (f->ifd >= 0 && !f->first && (rc = read_events(f, out, err)))
        return rc;
    if (f->first || f->relist || f->listing_only) {
        f->gen++;
        bool watch_dirs = f->ifd >= 0;
        if ((rc = list_dir(f, "", 0, watch_dirs, err)))
            return rc;
        if (!f->first)
            sweep_deleted(f, out);
        f->first = false;
        f->relist = false;
    }
    check_settling(f, out);
    return LS_OK;
}

int ls_folder_fd(const ls_folder *f) { return f->ifd; }
bool ls_folder_has_unsettled(const ls_folder *f) { return f->n_settling > 0; }
const char *ls_folder_path(const ls_folder *f) { return f->root; }
bool ls_folder_uses_inotify(const ls_folder *f) { return f->ifd >= 0; }
