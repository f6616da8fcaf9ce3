/* why_folded.c: `svcmap why -f folded`: the critical paths as folded stacks.
 *
 * One line per stack of an entry: the frames from the entry's service down to the
 * section's owner joined by ';', a space, and the critical time under that stack in
 * whole microseconds summed over the entry's traces (stacks under 1 us are left out).
 * Frames are display names (sm_why_display_name); a ';' inside a name would split the
 * frame and a line end would end the line, so both become ',' and control characters
 * '?'. The format of Brendan Gregg's stackcollapse, read by flamegraph.pl, inferno and
 * speedscope.
 */
#include <stdlib.h>
#include <string.h>

#include "svcmap/why_report.h"

static void frame(struct sm_buf *out, const char *id, size_t len)
{
    struct sm_buf name;
    char *copy = sm_xmalloc(len + 1);

    memcpy(copy, id, len);
    copy[len] = '\0';
    sm_buf_init(&name);
    sm_why_display_name(&name, copy);
    for (size_t i = 0; i < name.len; i++) {
        unsigned char c = (unsigned char)name.data[i];

        sm_buf_addc(out, c == ';' ? ',' : c < 0x20 || c == 0x7f ? '?' : (char)c);
    }
    sm_buf_release(&name);
    free(copy);
}

void sm_why_write_folded(const struct sm_why_report *r, struct sm_buf *out)
{
    for (size_t i = 0; i < r->nentries; i++) {
        const struct sm_why_entry *e = r->entries[i];

        for (size_t k = 0; k < e->nstacks; k++) {
            const struct sm_why_stack *s = &e->stacks[k];
            unsigned long long us = (unsigned long long)(s->critical_ns / 1000);
            const char *at = s->path;

            if (!us)
                continue;
            if (e->operation) {
                /* the entry's operation as the root frame, so entries stay apart */
                frame(out, e->operation, strlen(e->operation));
                sm_buf_addc(out, ';');
            }
            for (;;) {
                const char *end = strstr(at, SM_WHY_STACK_SEPARATOR);

                frame(out, at, end ? (size_t)(end - at) : strlen(at));
                if (!end)
                    break;
                sm_buf_addc(out, ';');
                at = end + strlen(SM_WHY_STACK_SEPARATOR);
            }
            sm_buf_printf(out, " %llu\n", us);
        }
    }
}
