/* fuzz_common.h: what the fuzz targets share: a scratch file that holds the current input.
 *
 * The input side of svcmap reads files by name (sm_input_open), so every target writes
 * the fuzzer's bytes into one scratch file, created once per process in TMPDIR (or
 * /dev/shm when it exists, which keeps the writes in memory), and rewrites it in place
 * for each input. The file is removed when the process exits normally.
 */
#ifndef SVCMAP_FUZZ_COMMON_H
#define SVCMAP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data into the scratch file and returns its path (static storage). Aborts when
 * the file cannot be written: a fuzz run without its input is meaningless. */
static const char *fuzz_scratch_file(const uint8_t *data, size_t size);

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_scratch_path[512];
static int fuzz_scratch_fd = -1;

static void fuzz_scratch_remove(void)
{
    if (fuzz_scratch_path[0])
        unlink(fuzz_scratch_path);
}

static const char *fuzz_scratch_file(const uint8_t *data, size_t size)
{
    size_t done = 0;

    if (fuzz_scratch_fd < 0) {
        const char *dir = getenv("TMPDIR");

        if (!dir || !*dir)
            dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_scratch_path, sizeof(fuzz_scratch_path), "%s/svcmap-fuzz-XXXXXX", dir);
        fuzz_scratch_fd = mkstemp(fuzz_scratch_path);
        if (fuzz_scratch_fd < 0) {
            perror("fuzz: cannot create the scratch file");
            abort();
        }
        atexit(fuzz_scratch_remove);
    }
    if (ftruncate(fuzz_scratch_fd, 0) != 0) {
        perror("fuzz: cannot truncate the scratch file");
        abort();
    }
    while (done < size) {
        ssize_t n = pwrite(fuzz_scratch_fd, data + done, size - done, (off_t)done);

        if (n <= 0) {
            perror("fuzz: cannot write the scratch file");
            abort();
        }
        done += (size_t)n;
    }
    return fuzz_scratch_path;
}

#endif
