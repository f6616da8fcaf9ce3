/* escape.c: the one escaping helper per destination a person reads: Markdown, terminals.
 *
 * Markdown escaping works on bytes: every character CommonMark or GitHub's extensions
 * could read as syntax inside a line gets a backslash, which CommonMark defines for any
 * ASCII punctuation, so the rendered text is the name itself. Terminal escaping decodes
 * UTF-8 strictly (no overlong forms, no surrogates) and shows what a terminal would obey
 * instead of print as a backslash escape; everything else passes unchanged, so ordinary
 * names (accents, CJK, emoji) print as they are.
 */
#include "svcmap/escape.h"

#include <string.h>

static bool lower_is(char c, char want)
{
    return c == want || c == want - ('a' - 'A');
}

void sm_escape_markdown(struct sm_buf *out, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\n' || c == '\r') {
            /* a line break of any style is one space */
            if (!(c == '\r' && i + 1 < len && s[i + 1] == '\n'))
                sm_buf_addc(out, ' ');
            continue;
        }
        if (strchr("\\`*_~<[]|&@", c) ||
            /* GitHub turns scheme://... and www.... into links on its own */
            (c == ':' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/') ||
            (c == '.' && i >= 3 && lower_is(s[i - 1], 'w') && lower_is(s[i - 2], 'w') &&
             lower_is(s[i - 3], 'w')))
            sm_buf_addc(out, '\\');
        sm_buf_addc(out, c);
    }
}

void sm_escape_fenced(struct sm_buf *out, const char *lang, const char *text, size_t len)
{
    size_t i, run = 0, longest = 0, fence;

    /* a closing fence is a line of at least as many backticks as the opening one: one
     * longer than every run in the text cannot occur in it */
    for (i = 0; i < len; i++) {
        run = text[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    fence = longest >= 3 ? longest + 1 : 3;
    for (i = 0; i < fence; i++)
        sm_buf_addc(out, '`');
    sm_buf_adds(out, lang);
    sm_buf_addc(out, '\n');
    sm_buf_add(out, text, len);
    if (len && text[len - 1] != '\n')
        sm_buf_addc(out, '\n');
    for (i = 0; i < fence; i++)
        sm_buf_addc(out, '`');
    sm_buf_addc(out, '\n');
}

/* The length of the valid UTF-8 sequence at s (at most len bytes) and its code point in
 * *cp, or 0 when the bytes there are not valid UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned long *cp)
{
    size_t n, i;
    unsigned long v, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        v = s[0] & 0x1f;
        min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        v = s[0] & 0x0f;
        min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        v = s[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* Code points a terminal obeys or that reorder the text around them. */
static bool shown_escaped(unsigned long cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void sm_escape_terminal(struct sm_buf *out, const char *s, size_t len, bool line)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned long cp;
        size_t n = utf8_decode(u + i, len - i, &cp);

        if (n == 0) {
            sm_buf_printf(out, "\\x%02x", u[i]);
            i++;
            continue;
        }
        if (cp == '\n' && line) {
            sm_buf_addc(out, '\n');
        } else if (cp == '\n') {
            sm_buf_adds(out, "\\n");
        } else if (cp == '\r') {
            sm_buf_adds(out, "\\r");
        } else if (cp == '\t') {
            sm_buf_adds(out, "\\t");
        } else if (cp < 0x80 && shown_escaped(cp)) {
            sm_buf_printf(out, "\\x%02lx", cp);
        } else if (shown_escaped(cp)) {
            sm_buf_printf(out, "\\u%04lx", cp);
        } else {
            sm_buf_add(out, s + i, n);
        }
        i += n;
    }
}
