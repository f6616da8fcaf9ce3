/* input.c: byte sources: a plain, gzip or zstd file, a pipe or standard input.
 *
 * The file descriptor is read into a raw buffer; the first bytes decide the codec by
 * their magic (gzip 1f 8b, zstd 28 b5 2f fd), never the file name. Decompressed bytes
 * are handed out through sm_input_read; sm_input_peek buffers a head of them without
 * consuming it, so that a format can be sniffed on a pipe and the reader still gets
 * every byte (nothing is read twice, nothing is reopened). Several gzip members or zstd
 * frames one after another are one stream, as `gzip -d` and `zstd -d` read them; a
 * stream cut short is an error naming the file, never a quiet end. Standard input is
 * dup()ed so that closing the source never closes fd 0.
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
#include <zstd.h>

#include "svcmap/util.h"

#define RAW_BUF_BYTES ((size_t)256 << 10)
/* the smallest raw buffer, for small regular files */
#define RAW_BUF_MIN_BYTES ((size_t)4 << 10)

enum codec { CODEC_PLAIN, CODEC_GZIP, CODEC_ZSTD };

struct sm_input {
    int fd;
    char *name;
    long long size_bytes; /* on disk; -1 for pipes */
    long long raw_read;   /* bytes read from fd so far */
    enum codec codec;
    /* raw (compressed or plain) bytes read from fd and not yet decoded */
    unsigned char *raw;
    size_t raw_cap; /* RAW_BUF_BYTES, or less for a small regular file */
    size_t raw_pos, raw_len;
    bool raw_eof;
    /* decoders */
    z_stream z;
    bool z_ready;
    bool z_member_done; /* the last gzip member ended cleanly */
    ZSTD_DStream *zs;
    bool zs_mid_frame; /* a zstd frame has started and not ended */
    bool stream_done;  /* no more decoded bytes will come */
    /* decoded bytes buffered by sm_input_peek, handed out first by sm_input_read */
    char *head;
    size_t head_pos, head_len, head_cap;
    long long delivered_bytes; /* decoded bytes handed out (read, not peeked) */
    long long decoded_bytes;   /* decoded bytes produced */
    bool failed;
    struct sm_error fail; /* the error that stopped decoding, repeated on later reads */
};

/* Reads more raw bytes: 1 when some came, 0 at the end, negative on error. Unread raw
 * bytes are moved to the front first. */
static int fill_raw(struct sm_input *in, struct sm_error *err)
{
    ssize_t n;

    if (in->raw_eof)
        return 0;
    if (in->raw_pos > 0) {
        memmove(in->raw, in->raw + in->raw_pos, in->raw_len - in->raw_pos);
        in->raw_len -= in->raw_pos;
        in->raw_pos = 0;
    }
    if (in->raw_len == in->raw_cap)
        return 1;
    do
        n = read(in->fd, in->raw + in->raw_len, in->raw_cap - in->raw_len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sm_error_at(err, SM_EINPUT, in->name, 0, 0, in->decoded_bytes, "read error: %s",
                           strerror(errno));
    if (n == 0) {
        in->raw_eof = true;
        return 0;
    }
    in->raw_len += (size_t)n;
    in->raw_read += n;
    return 1;
}

int sm_input_open(struct sm_input **out, const char *path, struct sm_error *err)
{
    struct sm_input *in = NULL;
    bool is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    struct stat st;
    int fd = -1, rc;

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
    in->fd = fd;
    in->name = sm_xstrdup(name);
    in->size_bytes = S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
    /* A small file needs no 256 KiB buffer (a file that grows meanwhile is still read
     * whole, a buffer at a time). */
    in->raw_cap = RAW_BUF_BYTES;
    if (in->size_bytes >= 0 && (unsigned long long)in->size_bytes < RAW_BUF_BYTES)
        in->raw_cap =
            (size_t)in->size_bytes < RAW_BUF_MIN_BYTES ? RAW_BUF_MIN_BYTES : (size_t)in->size_bytes;
    in->raw = sm_xmalloc(in->raw_cap);
    /* the magic needs up to 4 bytes; a pipe may hand them out one read at a time */
    while (in->raw_len < 4 && (rc = fill_raw(in, err)) > 0)
        ;
    if (in->raw_len < 4 && !in->raw_eof) {
        sm_input_free(in);
        return SM_EINPUT;
    }
    if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
        in->codec = CODEC_GZIP;
        /* 15 + 32: a zlib or gzip header, detected; members are restarted below */
        if (inflateInit2(&in->z, 15 + 32) != Z_OK) {
            sm_input_free(in);
            return sm_error_at(err, SM_ESYSTEM, name, 0, 0, -1, "cannot set up gzip decoding");
        }
        in->z_ready = true;
    } else if (in->raw_len >= 4 && in->raw[0] == 0x28 && in->raw[1] == 0xb5 && in->raw[2] == 0x2f &&
               in->raw[3] == 0xfd) {
        in->codec = CODEC_ZSTD;
        in->zs = ZSTD_createDStream();
        if (!in->zs) {
            sm_input_free(in);
            return sm_error_at(err, SM_ESYSTEM, name, 0, 0, -1, "cannot set up zstd decoding");
        }
    }
    *out = in;
    return 0;
}

/* Stops decoding for good with the message what (and ": detail" when detail is set). */
static ssize_t input_fail(struct sm_input *in, struct sm_error *err, const char *what,
                          const char *detail)
{
    in->failed = true;
    in->stream_done = true;
    sm_error_at(&in->fail, SM_EINPUT, in->name, 0, 0, in->decoded_bytes, "%s%s%s", what,
                detail ? ": " : "", detail ? detail : "");
    if (err)
        *err = in->fail;
    return SM_EINPUT;
}

/* Plain bytes: from the raw buffer, or straight from the file for large reads. */
static ssize_t decode_plain(struct sm_input *in, char *buf, size_t size, struct sm_error *err)
{
    ssize_t n;
    int rc;

    if (in->raw_pos == in->raw_len) {
        if (in->raw_eof)
            return 0;
        if (size >= in->raw_cap) {
            do
                n = read(in->fd, buf, size);
            while (n < 0 && errno == EINTR);
            if (n < 0)
                return input_fail(in, err, "read error", strerror(errno));
            if (n == 0)
                in->raw_eof = true;
            in->raw_read += n;
            return n;
        }
        rc = fill_raw(in, err);
        if (rc < 0)
            return input_fail(in, err, err ? err->text : "read error", NULL);
        if (rc == 0)
            return 0;
    }
    n = (ssize_t)(in->raw_len - in->raw_pos < size ? in->raw_len - in->raw_pos : size);
    memcpy(buf, in->raw + in->raw_pos, (size_t)n);
    in->raw_pos += (size_t)n;
    return n;
}

static ssize_t decode_gzip(struct sm_input *in, char *buf, size_t size, struct sm_error *err)
{
    int zrc, rc;

    for (;;) {
        if (in->raw_pos == in->raw_len) {
            rc = fill_raw(in, err);
            if (rc < 0)
                return input_fail(in, err, err ? err->text : "read error", NULL);
            if (rc == 0) {
                if (in->z_member_done)
                    return 0;
                return input_fail(in, err, "truncated gzip data",
                                  "the stream ends inside a member");
            }
        }
        if (in->z_member_done) {
            /* another member follows, or trailing bytes that are not gzip (ignored, as
             * gzip -d does) */
            if (in->raw_len - in->raw_pos < 2 && !in->raw_eof) {
                rc = fill_raw(in, err);
                if (rc < 0)
                    return input_fail(in, err, err ? err->text : "read error", NULL);
                continue;
            }
            if (in->raw_len - in->raw_pos < 2 || in->raw[in->raw_pos] != 0x1f ||
                in->raw[in->raw_pos + 1] != 0x8b) {
                in->stream_done = true;
                return 0;
            }
            inflateReset(&in->z);
            in->z_member_done = false;
        }
        in->z.next_in = in->raw + in->raw_pos;
        in->z.avail_in = (uInt)(in->raw_len - in->raw_pos);
        in->z.next_out = (unsigned char *)buf;
        in->z.avail_out = (uInt)size;
        zrc = inflate(&in->z, Z_NO_FLUSH);
        in->raw_pos = in->raw_len - in->z.avail_in;
        if (zrc == Z_STREAM_END)
            in->z_member_done = true;
        else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            return input_fail(in, err, "corrupt gzip data",
                              in->z.msg ? in->z.msg : "invalid stream");
        if (size - in->z.avail_out > 0)
            return (ssize_t)(size - in->z.avail_out);
    }
}

static ssize_t decode_zstd(struct sm_input *in, char *buf, size_t size, struct sm_error *err)
{
    int rc;

    for (;;) {
        ZSTD_inBuffer zin;
        ZSTD_outBuffer zout;
        size_t r;

        if (in->raw_pos == in->raw_len) {
            rc = fill_raw(in, err);
            if (rc < 0)
                return input_fail(in, err, err ? err->text : "read error", NULL);
            if (rc == 0) {
                if (!in->zs_mid_frame)
                    return 0;
                return input_fail(in, err, "truncated zstd data", "the stream ends inside a frame");
            }
        }
        zin.src = in->raw + in->raw_pos;
        zin.size = in->raw_len - in->raw_pos;
        zin.pos = 0;
        zout.dst = buf;
        zout.size = size;
        zout.pos = 0;
        r = ZSTD_decompressStream(in->zs, &zout, &zin);
        in->raw_pos += zin.pos;
        if (ZSTD_isError(r))
            return input_fail(in, err, "corrupt zstd data", ZSTD_getErrorName(r));
        /* 0: a frame ended and was flushed; anything else: more of this frame to come */
        in->zs_mid_frame = r != 0;
        if (zout.pos > 0)
            return (ssize_t)zout.pos;
    }
}

/* Decodes up to size bytes past the head buffer. */
static ssize_t decode(struct sm_input *in, char *buf, size_t size, struct sm_error *err)
{
    ssize_t n;

    if (in->failed) {
        if (err)
            *err = in->fail;
        return SM_EINPUT;
    }
    if (in->stream_done || size == 0)
        return 0;
    switch (in->codec) {
    case CODEC_GZIP:
        n = decode_gzip(in, buf, size, err);
        break;
    case CODEC_ZSTD:
        n = decode_zstd(in, buf, size, err);
        break;
    default:
        n = decode_plain(in, buf, size, err);
        break;
    }
    if (n > 0)
        in->decoded_bytes += n;
    else if (n == 0)
        in->stream_done = true;
    return n;
}

ssize_t sm_input_read(struct sm_input *in, void *buf, size_t size, struct sm_error *err)
{
    ssize_t n;

    if (size > INT_MAX / 2)
        size = INT_MAX / 2;
    if (in->head_pos < in->head_len) {
        size_t k = in->head_len - in->head_pos < size ? in->head_len - in->head_pos : size;

        memcpy(buf, in->head + in->head_pos, k);
        in->head_pos += k;
        in->delivered_bytes += (long long)k;
        return (ssize_t)k;
    }
    n = decode(in, buf, size, err);
    if (n > 0)
        in->delivered_bytes += n;
    return n;
}

int sm_input_peek(struct sm_input *in, size_t want, const char **data, size_t *len,
                  struct sm_error *err)
{
    ssize_t n;

    if (in->head_pos > 0) {
        memmove(in->head, in->head + in->head_pos, in->head_len - in->head_pos);
        in->head_len -= in->head_pos;
        in->head_pos = 0;
    }
    if (in->head_cap < want + 1) {
        in->head = sm_xrealloc(in->head, want + 1);
        in->head_cap = want + 1;
    }
    while (in->head_len < want) {
        n = decode(in, in->head + in->head_len, want - in->head_len, err);
        if (n < 0) {
            /* a stream cut inside the head still shows what it decoded; the error comes
             * again when the reader gets there */
            in->failed = true;
            break;
        }
        if (n == 0)
            break;
        in->head_len += (size_t)n;
    }
    in->head[in->head_len] = '\0';
    *data = in->head;
    *len = in->head_len;
    return 0;
}

bool sm_input_at_end(const struct sm_input *in)
{
    return in->head_pos == in->head_len && in->stream_done && !in->failed;
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
    if (in->codec == CODEC_PLAIN)
        return in->delivered_bytes;
    return in->raw_read - (long long)(in->raw_len - in->raw_pos);
}

bool sm_input_is_gzip(const struct sm_input *in)
{
    return in->codec == CODEC_GZIP;
}

bool sm_input_is_zstd(const struct sm_input *in)
{
    return in->codec == CODEC_ZSTD;
}

void sm_input_free(struct sm_input *in)
{
    if (!in)
        return;
    if (in->z_ready)
        inflateEnd(&in->z);
    ZSTD_freeDStream(in->zs);
    if (in->fd >= 0)
        close(in->fd);
    free(in->raw);
    free(in->head);
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
