/* sha256.h: SHA-256 (FIPS 180-4): recognising an input file ingested before, and the
 * Content-Security-Policy hashes of the HTML page.
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
/* Writes the 32-byte digest. h is spent afterwards (init it again to reuse it). */
void sm_sha256_final(struct sm_sha256 *h, unsigned char digest[32]);
/* Writes the digest as 64 lowercase hex digits and a NUL into hex. */
void sm_sha256_final_hex(struct sm_sha256 *h, char hex[65]);

/* The digest of data in one call. */
void sm_sha256(const void *data, size_t len, unsigned char digest[32]);

#endif
