/* fuzz_zipkin.c: libFuzzer target for the zipkin reader (read_zipkin.c).
 *
 * Scans the input into elements and forces every element through the zipkin reader; see
 * fuzz_reader.h. Built with libFuzzer under SVCMAP_FUZZ and always with the replay
 * driver (replay.c), which runs corpus/fuzz_zipkin/ as a test.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one_reader(&sm_reader_zipkin, data, size);
}
