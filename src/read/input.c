/* input.c: byte sources for the scanner: a plain file, a gzip file or standard input.
 *
 * Every source goes through zlib's gz* reader on a file descriptor: zlib looks at the
 * first bytes, inflates when they are the gzip magic (1f 8b) and copies plain bytes
 * straight into the caller's buffer otherwise (large reads bypass zlib's own buffer),
 * so one code path serves both. Standard input is dup()ed so that closing the source
 * never closes fd 0. Errors name the file; zlib's message explains corrupt streams.
 */
#include "svcmap/input.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "svcmap/util.h"

struct sm_input {
    gzFile gz;
    char *name;
    long long size_bytes;      /* on disk; -1 for pipes */
    long long delivered_bytes; /* decompressed bytes handed out so far */
    bool gzip;
    bool failed; /* a read error was reported: later reads repeat it */
};

int sm_input_open(struct sm_input **out, const char *path, struct sm_error *err)
{
    struct sm_input *in = NULL;
    bool is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    struct stat st;
    int fd = -1;

    *out = NULL;
    fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sm_error_at(err, SM_EINPUT, name, 0, 0, -1, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) < 0) {
        int e = errno;

        close(fd);
        return sm_error_at(err, SM_EINPUT, name, 0, 0, -1, "cannot read: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return sm_error_at(err, SM_EINPUT, name, 0, 0, -1, "is a directory, not a file");
    }
    in = sm_xcalloc(1, sizeof(*in));
    in->name = sm_xstrdup(name);
    in->size_bytes = S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
    in->gz = gzdopen(fd, "rb");
    if (!in->gz) {
        /* only fails on out of memory or a bad mode string */
        close(fd);
        sm_input_free(in);
        return sm_error_at(err, SM_ESYSTEM, name, 0, 0, -1, "cannot set up reading");
    }
    gzbuffer(in->gz, 256u << 10);
    /* gzdirect peeks at the first bytes: 0 means a gzip header was found */
    in->gzip = gzdirect(in->gz) == 0;
    *out = in;
    return 0;
}

ssize_t sm_input_read(struct sm_input *in, void *buf, size_t size, struct sm_error *err)
{
    int n;
    int errnum = Z_OK;
    const char *msg;

    if (in->failed)
        return sm_error_at(err, SM_EINPUT, in->name, 0, 0, in->delivered_bytes,
                           "cannot read past an earlier read error");
    if (size > INT_MAX / 2)
        size = INT_MAX / 2;
    n = gzread(in->gz, buf, (unsigned)size);
    if (n > 0) {
        /* a truncated stream still hands out what it decoded; the next call reports it */
        in->delivered_bytes += n;
        return n;
    }
    msg = gzerror(in->gz, &errnum);
    if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
        const char *what = in->gzip ? "corrupt gzip data" : "read error";

        in->failed = true;
        if (errnum == Z_ERRNO)
            msg = strerror(errno);
        else if (msg && !strncmp(msg, "<fd:", 4) && strstr(msg, ": "))
            msg = strstr(msg, ": ") + 2; /* zlib prefixes its own name for the file */
        return sm_error_at(err, SM_EINPUT, in->name, 0, 0, in->delivered_bytes, "%s: %s", what,
                           msg && *msg ? msg : "unknown error");
    }
    return 0;
}

const char *sm_input_name(const struct sm_input *in)
{
    return in->name;
}

long long sm_input_size(const struct sm_input *in)
{
    return in->size_bytes;
}

long long sm_input_position(const struct sm_input *in)
{
    long long off;

    if (in->size_bytes < 0)
        return in->delivered_bytes;
    off = (long long)gzoffset(in->gz);
    return off >= 0 ? off : in->delivered_bytes;
}

bool sm_input_is_gzip(const struct sm_input *in)
{
    return in->gzip;
}

void sm_input_free(struct sm_input *in)
{
    if (!in)
        return;
    if (in->gz)
        gzclose_r(in->gz);
    free(in->name);
    free(in);
}

int sm_input_read_rest(struct sm_input *in, struct sm_buf *out, size_t max_bytes,
                       struct sm_error *err)
{
    char chunk[65536];
    ssize_t n;

    while ((n = sm_input_read(in, chunk, sizeof(chunk), err)) > 0) {
        if (out->len + (size_t)n > max_bytes)
            return sm_error_at(err, SM_EINPUT, in->name, 0, 0, (long long)max_bytes,
                               "document larger than %zu bytes", max_bytes);
        sm_buf_add(out, chunk, (size_t)n);
    }
    return n < 0 ? (int)n : 0;
}
