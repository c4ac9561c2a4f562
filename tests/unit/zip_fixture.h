/*
 * zip_fixture.h - a small zip built in memory with libarchive, for tests that upload one.
 * Included after unit.h; link with -larchive (LDLIBS has it).
 */
#ifndef REG_TEST_ZIP_FIXTURE_H
#define REG_TEST_ZIP_FIXTURE_H

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

/* Writes a zip of the n files (name, text pairs) into out (cap bytes); returns its length. */
static inline size_t
make_zip(char *out, size_t cap, const char *const files[][2], int n)
{
    struct archive *ar = archive_write_new();
    size_t used = 0;

    assert_non_null(ar);
    assert_int_equal(archive_write_set_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(ar, out, cap, &used), ARCHIVE_OK);
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t len = strlen(files[i][1]);

        archive_entry_set_pathname(e, files[i][0]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)len);
        assert_int_equal(archive_write_header(ar, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(ar, files[i][1], len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(ar), ARCHIVE_OK);
    archive_write_free(ar);
    return used;
}

#endif
