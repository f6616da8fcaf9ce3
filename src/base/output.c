/* output.c: atomic, safe output files, and read-modify-write under a lock.
 *
 * The target is classified first with lstat: nothing there (create), a regular file
 * (replace atomically), a symlink (followed with stat and realpath: a regular file at
 * the end is replaced where it lives, anything else is written in place), a folder
 * (refused: a file name is needed) or another kind of file (a device, FIFO or socket:
 * written in place, since renaming over it would replace the node itself). The
 * temporary file is created with O_CREAT | O_EXCL | O_NOFOLLOW under a fresh random
 * name in the target's folder, so a symlink or hard link planted under a predictable
 * name is never written through, and it is only ever visible with mode 0600 until it
 * gets the target's bits. Editing locks the file being edited with flock and checks,
 * once the lock is held, that the path still names the locked file: a writer that
 * finished first has renamed a new file into place, and the lock is then taken again
 * on that one. No lock file is left beside the target.
 */
/* realpath is XSI */
#define _XOPEN_SOURCE 700

#include "svcmap/output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The temporary file being written, for sm_output_remove_pending. */
static char pending_tmp[PATH_MAX + 64];

void sm_output_remove_pending(void)
{
    if (pending_tmp[0])
        unlink(pending_tmp);
}

/* Where and how to write. */
struct target {
    char *path;  /* owned: the file to replace (a symlink resolved), or to write in place */
    bool exists; /* a regular file is there: keep its permission bits */
    bool in_place;
    struct stat st;
};

static bool is_dir_path(const char *path)
{
    size_t n = strlen(path);

    return n > 0 && path[n - 1] == '/';
}

static int need_file_name(const char *path, struct sm_error *err)
{
    return sm_error_at(err, SM_EUSAGE, path, 0, 0, -1,
                       "is a folder; the output needs a file name (e.g. %s%smap.svg)", path,
                       is_dir_path(path) ? "" : "/");
}

static int classify(const char *path, struct target *t, struct sm_error *err)
{
    struct stat st;

    memset(t, 0, sizeof(*t));
    if (!*path)
        return sm_error_set(err, SM_EUSAGE, "the output file name is empty");
    if (is_dir_path(path))
        return need_file_name(path, err);
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT)
            return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1, "cannot write output: %s",
                               strerror(errno));
        t->path = sm_xstrdup(path);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char *real;

        if (stat(path, &st) != 0)
            return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1,
                               "cannot write output through the symlink: %s", strerror(errno));
        if (S_ISDIR(st.st_mode))
            return need_file_name(path, err);
        if (!S_ISREG(st.st_mode)) {
            t->path = sm_xstrdup(path);
            t->in_place = true;
            return 0;
        }
        real = realpath(path, NULL);
        if (!real)
            return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1, "cannot resolve the symlink: %s",
                               strerror(errno));
        t->path = sm_xstrdup(real);
        free(real);
    } else if (S_ISDIR(st.st_mode)) {
        return need_file_name(path, err);
    } else if (!S_ISREG(st.st_mode)) {
        t->path = sm_xstrdup(path);
        t->in_place = true;
        return 0;
    } else {
        t->path = sm_xstrdup(path);
    }
    t->exists = true;
    t->st = st;
    /* root passes access(W_OK) on any file: the mode bits say what the owner meant */
    if ((st.st_mode & 0222) == 0 || access(t->path, W_OK) != 0)
        return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1,
                           "the file is read-only; not overwritten");
    return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : ENOSPC;
        done += (size_t)n;
    }
    return 0;
}

static int write_in_place(const char *path, const char *p, size_t len, struct sm_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY), e;

    if (fd < 0)
        return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1, "cannot open output: %s",
                           strerror(errno));
    e = write_all(fd, p, len);
    if (close(fd) != 0 && !e)
        e = errno;
    if (e)
        return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1, "cannot write output: %s", strerror(e));
    return 0;
}

/* Six characters from a mix of the time, the process and a counter: unpredictable
 * enough that guessing is pointless, and O_EXCL makes a guess harmless anyway. */
static void random_suffix(char *out)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static uint64_t counter;
    struct timespec ts;
    uint64_t seed[4], h;
    int i;

    clock_gettime(CLOCK_REALTIME, &ts);
    seed[0] = (uint64_t)ts.tv_nsec;
    seed[1] = (uint64_t)ts.tv_sec;
    seed[2] = (uint64_t)getpid();
    seed[3] = ++counter;
    h = sm_hash64(seed, sizeof(seed));
    for (i = 0; i < 6; i++) {
        out[i] = alphabet[h % 62];
        h /= 62;
    }
    out[6] = '\0';
}

/* Creates the temporary file beside target: "DIR/.BASE.XXXXXX", with BASE cut to 200
 * bytes so that a name near NAME_MAX (255) still leaves room. Fills tmp (PATH_MAX + 64
 * bytes). Returns the descriptor or -1 with errno set. */
static int create_temp(const char *target, mode_t mode, char *tmp, size_t size)
{
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    int dirlen = slash ? (int)(slash - target + 1) : 0, tries, fd = -1;
    char suffix[7];

    for (tries = 0; tries < 100; tries++) {
        random_suffix(suffix);
        if (snprintf(tmp, size, "%.*s.%.200s.%s", dirlen, target, base, suffix) >= (int)size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* fsync on the folder, so the rename itself survives a crash. Best effort. */
static void sync_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? sm_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : sm_xstrdup(".");
    int fd = open(dir, O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static int replace_atomically(const struct target *t, const char *p, size_t len,
                              struct sm_error *err)
{
    char tmp[PATH_MAX + 64];
    int fd, e = 0;

    fd = create_temp(t->path, t->exists ? 0600 : 0666, tmp, sizeof(tmp));
    if (fd < 0)
        return sm_error_at(err, SM_ESYSTEM, t->path, 0, 0, -1,
                           "cannot create a temporary file beside the output: %s", strerror(errno));
    memcpy(pending_tmp, tmp, strlen(tmp) + 1);
    if (t->exists) {
        /* keep the owner's choice of who may read it; as root also keep the owner */
        if (geteuid() == 0 && fchown(fd, t->st.st_uid, t->st.st_gid) != 0) {
            /* best effort: the bytes matter more than the owner */
        }
        if (fchmod(fd, t->st.st_mode & 07777) != 0)
            e = errno;
    }
    if (!e)
        e = write_all(fd, p, len);
    if (!e && fsync(fd) != 0 && errno != EINVAL)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, t->path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        pending_tmp[0] = '\0';
        return sm_error_at(err, SM_ESYSTEM, t->path, 0, 0, -1, "cannot write output: %s",
                           strerror(e));
    }
    pending_tmp[0] = '\0';
    sync_folder(t->path);
    return 0;
}

int sm_output_write(const char *path, const void *data, size_t len, struct sm_error *err)
{
    struct target t;
    int rc;

    rc = classify(path, &t, err);
    if (rc == 0)
        rc = t.in_place ? write_in_place(t.path, data, len, err)
                        : replace_atomically(&t, data, len, err);
    free(t.path);
    return rc;
}

/* Reads fd to the end into out; more than max_bytes is SM_EINPUT. */
static int read_bounded(int fd, const char *path, size_t max_bytes, struct sm_buf *out,
                        struct sm_error *err)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot read: %s", strerror(errno));
        if (n == 0)
            return 0;
        if ((size_t)n > max_bytes - out->len)
            return sm_error_at(err, SM_EINPUT, path, 0, 0, -1,
                               "larger than %zu bytes; not a document to edit", max_bytes);
        sm_buf_add(out, chunk, (size_t)n);
    }
}

/* Opens path and, for a regular file, holds an exclusive flock on the file the path
 * names once the lock is granted. Returns the descriptor or a negative status. */
static int open_locked(const char *path, struct sm_error *err)
{
    struct stat held, now;
    int tries, fd;

    for (tries = 0; tries < 1000; tries++) {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot open: %s", strerror(errno));
        if (fstat(fd, &held) != 0 || !S_ISREG(held.st_mode))
            return fd;
        while (flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                int e = errno;

                close(fd);
                return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1, "cannot lock: %s", strerror(e));
            }
        }
        if (stat(path, &now) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino)
            return fd;
        /* replaced by the writer we waited for: lock the new file instead */
        close(fd);
    }
    return sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1,
                       "cannot lock: the file keeps being replaced");
}

int sm_output_edit(const char *path, size_t max_bytes, sm_output_edit_fn edit, void *ctx,
                   struct sm_error *err)
{
    struct sm_buf doc, out;
    int fd, rc;

    sm_buf_init(&doc);
    sm_buf_init(&out);
    if (is_dir_path(path))
        return need_file_name(path, err);
    fd = open_locked(path, err);
    if (fd < 0)
        return fd;
    rc = read_bounded(fd, path, max_bytes, &doc, err);
    if (rc == 0)
        rc = edit(ctx, doc.data ? doc.data : "", doc.len, &out, err);
    if (rc == 0)
        rc = sm_output_write(path, out.data ? out.data : "", out.len, err);
    close(fd); /* releases the lock, after the new file is in place */
    sm_buf_release(&doc);
    sm_buf_release(&out);
    return rc;
}
