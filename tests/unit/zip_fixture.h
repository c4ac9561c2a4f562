/*
 * zip_fixture.h - zips built in memory with libarchive, for tests that upload one: regular
 * files, symbolic links, entries written without their size up front.
 * Included after unit.h; the helpers are static inline. Link with -larchive (LDLIBS has it).
 */
#ifndef REG_TEST_ZIP_FIXTURE_H
#define REG_TEST_ZIP_FIXTURE_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <string.h>

/* One entry of a zip: a regular file of len bytes of data (strlen(data) when len is 0), or a
 * symbolic link to data (link). */
struct zip_entry {
    const char *name;
    const char *data;
    size_t len;
    bool link;
    bool size_unknown; /* written without its size up front (streamed, a data descriptor) */
};

/* A zip of the entries in memory, with libarchive (deflated); its length. */
static inline size_t
make_zip_entries(char *out, size_t cap, const struct zip_entry *entries, int n)
{
    struct archive *ar = archive_write_new();
    size_t used = 0;

    assert_non_null(ar);
    assert_int_equal(archive_write_set_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(ar, out, cap, &used), ARCHIVE_OK);
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t len = entries[i].len ? entries[i].len : strlen(entries[i].data);

        archive_entry_set_pathname(e, entries[i].name);
        archive_entry_set_perm(e, entries[i].link ? 0777 : 0644);
        if (entries[i].link) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, entries[i].data);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            if (!entries[i].size_unknown)
                archive_entry_set_size(e, (la_int64_t)len);
        }
        assert_int_equal(archive_write_header(ar, e), ARCHIVE_OK);
        if (!entries[i].link)
            assert_int_equal(archive_write_data(ar, entries[i].data, len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(ar), ARCHIVE_OK);
    archive_write_free(ar);
    return used;
}

/* A zip of the given files (name, text pairs) in memory; its length. */
static inline size_t
make_zip(char *out, size_t cap, const char *const files[][2], int n)
{
    struct zip_entry entries[16];

    assert_true(n <= NELEMS(entries));
    for (int i = 0; i < n; i++)
        entries[i] = (struct zip_entry){.name = files[i][0], .data = files[i][1]};
    return make_zip_entries(out, cap, entries, n);
}

#endif
