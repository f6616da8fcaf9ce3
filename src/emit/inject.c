/* inject.c: replacing the generated block between svcmap markers in a Markdown file.
 *
 * The document is searched as bytes (it need not be valid UTF-8 or end with a newline):
 * exactly one begin marker and exactly one end marker after it must be present. The
 * result is the bytes up to the end of the begin marker, the new block, and the bytes
 * from the start of the end marker on, so nothing outside the block can change. When
 * the begin marker's line ends in CRLF, the block's lines do too.
 */
#include "svcmap/inject.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int sm_inject_name_ok(const char *name)
{
    size_t i;

    for (i = 0; name[i]; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return i > 0 && i <= 64;
}

/* Finds needle in hay (both with lengths); NULL if absent. */
static const char *find(const char *hay, size_t len, const char *needle, size_t nlen)
{
    size_t i;

    if (nlen > len)
        return NULL;
    for (i = 0; i + nlen <= len; i++) {
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, nlen))
            return hay + i;
    }
    return NULL;
}

static long line_of(const char *doc, const char *at)
{
    long line = 1;

    for (; doc < at; doc++) {
        if (*doc == '\n')
            line++;
    }
    return line;
}

/* True when the line the begin marker ends (the first newline from at on) ends in CRLF:
 * a Windows-style document stays one. */
static bool uses_crlf(const char *at, size_t len)
{
    const char *nl = memchr(at, '\n', len);

    return nl && nl > at && nl[-1] == '\r';
}

static void add_line_end(struct sm_buf *out, bool crlf)
{
    sm_buf_adds(out, crlf ? "\r\n" : "\n");
}

/* Appends text with every bare LF turned into CRLF when crlf is set. */
static void add_lines(struct sm_buf *out, const char *text, size_t len, bool crlf)
{
    size_t i, from = 0;

    if (!crlf) {
        sm_buf_add(out, text, len);
        return;
    }
    for (i = 0; i < len; i++) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
            sm_buf_add(out, text + from, i - from);
            sm_buf_adds(out, "\r\n");
            from = i + 1;
        }
    }
    sm_buf_add(out, text + from, len - from);
}

int sm_inject(const char *doc, size_t len, const char *name, const char *block, size_t block_len,
              struct sm_buf *out, struct sm_error *err)
{
    char begin_mark[96], end_mark[96];
    size_t blen, elen;
    const char *begin, *end, *again;
    bool crlf;

    if (!sm_inject_name_ok(name))
        return sm_error_set(err, SM_EUSAGE,
                            "block name '%s' is not 1-64 letters, digits, '.', '_' or '-'", name);
    blen = (size_t)snprintf(begin_mark, sizeof(begin_mark), "<!-- svcmap:begin %s -->", name);
    elen = (size_t)snprintf(end_mark, sizeof(end_mark), "<!-- svcmap:end %s -->", name);

    begin = find(doc, len, begin_mark, blen);
    if (!begin)
        return sm_error_at(err, SM_EINPUT, NULL, 0, 0, -1, "no '%s' marker", begin_mark);
    again = find(begin + blen, len - (size_t)(begin + blen - doc), begin_mark, blen);
    if (again)
        return sm_error_at(err, SM_EINPUT, NULL, line_of(doc, again), 0, -1,
                           "'%s' appears a second time (first on line %ld)", begin_mark,
                           line_of(doc, begin));
    end = find(doc, len, end_mark, elen);
    if (!end)
        return sm_error_at(err, SM_EINPUT, NULL, 0, 0, -1, "no '%s' marker after line %ld",
                           end_mark, line_of(doc, begin));
    again = find(end + elen, len - (size_t)(end + elen - doc), end_mark, elen);
    if (again)
        return sm_error_at(err, SM_EINPUT, NULL, line_of(doc, again), 0, -1,
                           "'%s' appears a second time (first on line %ld)", end_mark,
                           line_of(doc, end));
    if (end < begin + blen)
        return sm_error_at(err, SM_EINPUT, NULL, line_of(doc, end), 0, -1,
                           "'%s' comes before '%s' (line %ld)", end_mark, begin_mark,
                           line_of(doc, begin));

    crlf = uses_crlf(begin + blen, len - (size_t)(begin + blen - doc));
    sm_buf_add(out, doc, (size_t)(begin + blen - doc));
    add_line_end(out, crlf);
    add_lines(out, block, block_len, crlf);
    if (block_len > 0 && block[block_len - 1] != '\n')
        add_line_end(out, crlf);
    sm_buf_add(out, end, len - (size_t)(end - doc));
    return 0;
}
