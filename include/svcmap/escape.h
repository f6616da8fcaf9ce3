/* escape.h: names made safe for where a person reads them: Markdown and terminals.
 *
 * Service, database and queue names come from the traces and so from anyone who can send
 * a span. Every report and document that shows them to a person passes them through the
 * one helper for its destination, so that a name is shown, never obeyed:
 *
 * - Markdown (pull-request comments, injected docs): a name can neither end its table
 *   cell or line, nor open HTML, code, emphasis, a link, an image or an autolink.
 *   Fenced blocks (CSV, DOT, JSON, Mermaid in a .md file) get a fence no line of their
 *   text can close.
 * - Terminals (text reports, the table, messages on stderr): control characters, the
 *   C1 controls, bytes that are not UTF-8 and the bidirectional overrides and isolates
 *   (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) are shown as escapes
 *   ("\x1b", "\u202e"), so a name can neither move the cursor, retitle the window nor
 *   reorder what follows it on the line.
 * Both append to a buffer and cannot fail.
 */
#ifndef SVCMAP_ESCAPE_H
#define SVCMAP_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "svcmap/util.h"

/* Appends s[0..len) as Markdown inline text (a table cell, a list item or heading after
 * its marker: never the start of a line) that reads as the same characters: a backslash
 * before \ ` * _ ~ < [ ] | & and before what would start an autolink (the ':' of "://",
 * the '.' of "www.", '@'); line breaks (\n, \r, \r\n) become a space. */
void sm_escape_markdown(struct sm_buf *out, const char *s, size_t len);

/* Appends a fenced code block: a backtick fence longer than any backtick run in text (at
 * least three), the info string lang (may be ""), text, a line end if text lacks one,
 * and the closing fence. */
void sm_escape_fenced(struct sm_buf *out, const char *lang, const char *text, size_t len);

/* Appends s[0..len) for a terminal. With line true, a line end (\n) is kept as it is
 * (text of several lines); otherwise it is shown as "\n" like any control character. */
void sm_escape_terminal(struct sm_buf *out, const char *s, size_t len, bool line);

#endif
