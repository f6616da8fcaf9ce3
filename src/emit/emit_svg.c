/* emit_svg.c: the map as an SVG or PNG picture, laid out and rendered in process.
 *
 * Both emitters build the same Graphviz graph as the DOT emitter and hand it to gvc
 * (sm_emit_graphviz_render in emit_dot.c, the one file that talks to Graphviz): no
 * `dot` process is started. SVG text is escaped by Graphviz's own SVG writer; node
 * names only ever appear as label text, never as ids, links or attributes.
 */
#include "svcmap/emit.h"

#include "emit_priv.h"

static int emit_svg(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                    struct sm_error *err)
{
    return sm_emit_graphviz_render(map, style, "svg", out, err);
}

static int emit_png(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                    struct sm_error *err)
{
    return sm_emit_graphviz_render(map, style, "png", out, err);
}

static const char *const svg_extensions[] = {".svg", NULL};
static const char *const png_extensions[] = {".png", NULL};

const struct sm_emitter sm_emit_svg = {
    .name = "svg",
    .extensions = svg_extensions,
    .binary = false,
    .emit = emit_svg,
};

const struct sm_emitter sm_emit_png = {
    .name = "png",
    .extensions = png_extensions,
    .binary = true,
    .emit = emit_png,
};
