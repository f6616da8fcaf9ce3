/* fuzz_zipkin1.c: libFuzzer target for the Zipkin v1 reader (read_zipkin1.c).
 *
 * Scans the input into elements and forces every element through the Zipkin v1 reader; see
 * fuzz_reader.h. Built with libFuzzer under SVCMAP_FUZZ and always with the replay
 * driver (replay.c), which runs corpus/fuzz_zipkin1/ as a test.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one_reader(&sm_reader_zipkin1, data, size);
}
