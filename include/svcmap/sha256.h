/* sha256.h: SHA-256 (FIPS 180-4), for recognising an input file ingested before.
 *
 * Streaming: init, update any number of times, final. No allocation.
 */
#ifndef SVCMAP_SHA256_H
#define SVCMAP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sm_sha256 {
    uint32_t state[8];
    uint64_t bytes; /* message length so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
};

void sm_sha256_init(struct sm_sha256 *h);
void sm_sha256_update(struct sm_sha256 *h, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL into hex. */
void sm_sha256_final_hex(struct sm_sha256 *h, char hex[65]);

#endif
