/* fuzz_otlp.c: libFuzzer target for the otlp reader (read_otlp.c).
 *
 * Scans the input into elements and forces every element through the otlp reader; see
 * fuzz_reader.h. Built with libFuzzer under SVCMAP_FUZZ and always with the replay
 * driver (replay.c), which runs corpus/fuzz_otlp/ as a test.
 */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one_reader(&sm_reader_otlp, data, size);
}
