/*
 * card.c - reading a model card for the metrics: a Markdown line scanner (front matter,
 * headings, tables, fenced code, HTML comments), prose statistics, placeholder detection,
 * the classification of code examples, and small numeric helpers.
 *
 * The scanner is deliberately small: it knows the Markdown that model cards use, not all of
 * CommonMark. An HTML comment is recognised when a line starts with "<!--"; the rest of that
 * line and the following lines up to the one holding "-->" are comment.
 */
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "rating/rating.h"

double
reg_rating_clamp(double x)
{
    if (!(x > 0.0))
        return 0.0;
    return x < 1.0 ? x : 1.0;
}

double
reg_rating_log_scale(int64_t n, double from, double decades)
{
    if (n < 0)
        n = 0;
    return reg_rating_clamp((log10(1.0 + (double)n) - from) / decades);
}

static char
lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c;
}

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Offset of the first match of needle in h[from..len), or len. */
static size_t
find_ci(const char *h, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0 || n > len)
        return len;
    for (size_t i = from; i + n <= len; i++) {
        size_t k = 0;

        while (k < n && lower(h[i + k]) == lower(needle[k]))
            k++;
        if (k == n)
            return i;
    }
    return len;
}

bool
reg_rating_has_ci(const char *h, size_t len, const char *needle)
{
    return h && needle && needle[0] && find_ci(h, len, 0, needle) < len;
}

/* Characters of a model id ("acme/tiny-bert_v1.5" without the slash). */
static bool
is_id_char(char c)
{
    return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

/* needle in h[0..len) where the characters around it are not `inside` ones. */
static bool
has_bounded_ci(const char *h, size_t len, const char *needle, bool (*inside)(char))
{
    size_t n;

    if (!h || !needle || !needle[0])
        return false;
    n = strlen(needle);
    for (size_t i = find_ci(h, len, 0, needle); i < len; i = find_ci(h, len, i + 1, needle)) {
        bool before = i > 0 && inside(h[i - 1]);
        bool after = i + n < len && inside(h[i + n]);

        if (!before && !after)
            return true;
    }
    return false;
}

bool
reg_rating_has_word_ci(const char *h, size_t len, const char *needle)
{
    return has_bounded_ci(h, len, needle, is_alnum);
}

/* The line at p: its length without "\n" or "\r\n", and where the next one starts. */
static size_t
line_at(const char *p, const char *end, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len;

    if (!nl) {
        *next = end;
        len = (size_t)(end - p);
    } else {
        *next = nl + 1;
        len = (size_t)(nl - p);
    }
    if (len > 0 && p[len - 1] == '\r')
        len--;
    return len;
}

static void
trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

static bool
is_rule(const char *s, size_t len, const char *rule)
{
    trim(&s, &len);
    return len == strlen(rule) && memcmp(s, rule, len) == 0;
}

void
reg_rating_card_begin(struct reg_card_iter *it, const char *text)
{
    const char *next;
    size_t len;

    memset(it, 0, sizeof(*it));
    it->p = text ? text : "";
    it->end = it->p + strlen(it->p);
    len = line_at(it->p, it->end, &next);
    if (!is_rule(it->p, len, "---"))
        return;
    /* Front matter: skip to the line after the closing "---" (or "..."), if there is one. */
    for (const char *q = next; q < it->end;) {
        const char *after;
        size_t n = line_at(q, it->end, &after);

        if (is_rule(q, n, "---") || is_rule(q, n, "...")) {
            it->p = after;
            return;
        }
        q = after;
    }
}

/* Length of the run of c at the start of s. */
static size_t
run_of(const char *s, size_t len, char c)
{
    size_t n = 0;

    while (n < len && s[n] == c)
        n++;
    return n;
}

static void
scan_code(struct reg_card_iter *it, const char *s, size_t len, struct reg_card_line *out)
{
    size_t n = run_of(s, len, it->fence);
    const char *rest = s + n;
    size_t rest_len = len - n;

    trim(&rest, &rest_len);
    if (n >= it->fence_len && rest_len == 0) {
        out->kind = REG_CARD_FENCE_CLOSE;
        it->in_code = false;
    } else {
        out->kind = REG_CARD_CODE;
    }
}

static bool
scan_fence(struct reg_card_iter *it, const char *s, size_t len, struct reg_card_line *out)
{
    char c;
    size_t n;

    if (len == 0 || (s[0] != '`' && s[0] != '~'))
        return false;
    c = s[0];
    n = run_of(s, len, c);
    if (n < 3)
        return false;
    it->in_code = true;
    it->fence = c;
    it->fence_len = n;
    out->kind = REG_CARD_FENCE_OPEN;
    out->text = s + n;
    out->len = len - n;
    trim(&out->text, &out->len);
    return true;
}

static bool
scan_heading(const char *s, size_t len, struct reg_card_line *out)
{
    size_t n = run_of(s, len, '#');

    if (n == 0 || n > 6 || (n < len && s[n] != ' ' && s[n] != '\t'))
        return false;
    out->kind = REG_CARD_HEADING;
    out->level = (int)n;
    out->text = s + n;
    out->len = len - n;
    trim(&out->text, &out->len);
    return true;
}

bool
reg_rating_card_next(struct reg_card_iter *it, struct reg_card_line *out)
{
    const char *s, *next;
    size_t len;

    if (it->p >= it->end)
        return false;
    memset(out, 0, sizeof(*out));
    out->start = it->p;
    len = line_at(it->p, it->end, &next);
    s = it->p;
    it->p = next;
    out->text = s;
    out->len = len;
    trim(&s, &len);
    if (it->in_code) {
        scan_code(it, s, len, out);
    } else if (it->in_comment) {
        out->kind = REG_CARD_COMMENT;
        it->in_comment = !reg_rating_has_ci(s, len, "-->");
    } else if (len >= 4 && memcmp(s, "<!--", 4) == 0) {
        out->kind = REG_CARD_COMMENT;
        it->in_comment = !reg_rating_has_ci(s + 4, len - 4, "-->");
    } else if (scan_fence(it, s, len, out) || scan_heading(s, len, out)) {
        /* kind, text and level are set */
    } else if (len == 0) {
        out->kind = REG_CARD_BLANK;
    } else {
        out->kind = s[0] == '|' ? REG_CARD_TABLE : REG_CARD_PROSE;
        out->text = s;
        out->len = len;
    }
    return true;
}

bool
reg_rating_card_placeholder(const char *text, size_t len)
{
    static const char *const marks[] = {"more information needed", "[todo", "[tbd"};

    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (reg_rating_has_ci(text, len, marks[i]))
            return true;
    return false;
}

int
reg_rating_card_words(const char *text, size_t len)
{
    int words = 0;
    size_t run = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && is_alpha(text[i])) {
            run++;
            continue;
        }
        if (run >= 2)
            words++;
        run = 0;
    }
    return words;
}

/* Fence info strings of blocks that are not code. */
static bool
info_is_data(const char *info, size_t len)
{
    static const char *const data[] = {"bibtex", "bib",  "text", "txt",      "plaintext", "json",
                                       "yaml",   "yml",  "md",   "markdown", "latex",     "tex",
                                       "csv",    "html", "xml",  "output"};
    size_t n = 0;

    while (n < len && info[n] != ' ' && info[n] != '{' && info[n] != ',')
        n++;
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
        if (strlen(data[i]) == n && reg_rating_has_ci(info, n, data[i]))
            return true;
    return false;
}

static bool
block_is_code(const char *info, size_t ilen, const char *code, size_t len)
{
    if (info_is_data(info, ilen))
        return false;
    return reg_rating_has_ci(code, len, "import ") || memchr(code, '(', len) != NULL ||
           memchr(code, '=', len) != NULL;
}

/* The last component of a repository id ("openai/whisper-tiny" -> "whisper-tiny"). */
static const char *
last_part(const char *id)
{
    const char *slash = id ? strrchr(id, '/') : NULL;

    return slash ? slash + 1 : id;
}

/* A short name ("m") would match variables: the last part and the name count from this
 * length. */
#define MIN_NAME 3

static bool
names_as(const char *code, size_t len, const char *name, size_t min)
{
    return name && strlen(name) >= min && has_bounded_ci(code, len, name, is_id_char);
}

/* The model's id, the id's last part or its name, as a whole id (not inside a longer one). */
static bool
names_model(const struct reg_model_signals *s, const char *code, size_t len)
{
    return names_as(code, len, s->repo_id, 1) ||
           names_as(code, len, last_part(s->repo_id), MIN_NAME) ||
           names_as(code, len, s->name, MIN_NAME);
}

static bool
uses_library(const struct reg_model_signals *s, const char *code, size_t len)
{
    const char *lib = s->library_name;
    char module[64];
    size_t n;

    if (s->pipeline_tag && reg_rating_has_ci(code, len, "pipeline(") &&
        reg_rating_has_ci(code, len, s->pipeline_tag))
        return true;
    if (!lib || !lib[0])
        return reg_rating_has_ci(code, len, "import ");
    if (reg_rating_has_ci(code, len, lib))
        return true;
    /* "sentence-transformers" is imported as "sentence_transformers". */
    n = strlen(lib);
    if (n >= sizeof(module))
        return false;
    for (size_t i = 0; i <= n; i++) {
        module[i] = lib[i];
        if (lib[i] == '-')
            module[i] = '_';
    }
    return reg_rating_has_ci(code, len, module);
}

static bool
has_placeholder(const char *code, size_t len)
{
    return reg_rating_has_ci(code, len, "path/to") || reg_rating_has_ci(code, len, "<your") ||
           reg_rating_has_ci(code, len, "your_");
}

static int
block_level(const struct reg_model_signals *s, const char *info, size_t ilen, const char *code,
            size_t len)
{
    if (!block_is_code(info, ilen, code, len))
        return 0;
    if (names_model(s, code, len) && uses_library(s, code, len) && !has_placeholder(code, len))
        return 2;
    return 1;
}

int
reg_rating_card_example_level(const struct reg_model_signals *s)
{
    struct reg_card_iter it;
    struct reg_card_line ln;
    const char *info = "", *body = NULL;
    size_t ilen = 0;
    int best = 0, level;

    reg_rating_card_begin(&it, s->readme);
    while (best < 2 && reg_rating_card_next(&it, &ln)) {
        if (ln.kind == REG_CARD_FENCE_OPEN) {
            info = ln.text;
            ilen = ln.len;
            body = it.p;
        } else if (ln.kind == REG_CARD_FENCE_CLOSE && body) {
            level = block_level(s, info, ilen, body, (size_t)(ln.start - body));
            best = level > best ? level : best;
            body = NULL;
        }
    }
    if (body && best < 2) { /* a block left open runs to the end of the card */
        level = block_level(s, info, ilen, body, (size_t)(it.end - body));
        best = level > best ? level : best;
    }
    return best;
}

void
reg_rating_card_stats(const char *readme, struct reg_card_stats *out)
{
    struct reg_card_iter it;
    struct reg_card_line ln;
    const char *info = "", *body = NULL;
    size_t ilen = 0;

    memset(out, 0, sizeof(*out));
    reg_rating_card_begin(&it, readme);
    while (reg_rating_card_next(&it, &ln)) {
        if (ln.kind == REG_CARD_PROSE && reg_rating_card_placeholder(ln.text, ln.len)) {
            out->placeholder_lines++;
        } else if (ln.kind == REG_CARD_PROSE) {
            out->content_lines++;
            out->words += reg_rating_card_words(ln.text, ln.len);
        } else if (ln.kind == REG_CARD_FENCE_OPEN) {
            info = ln.text;
            ilen = ln.len;
            body = it.p;
        } else if (ln.kind == REG_CARD_FENCE_CLOSE && body) {
            out->code_blocks += block_is_code(info, ilen, body, (size_t)(ln.start - body));
            body = NULL;
        }
    }
    if (body) /* a block left open runs to the end of the card */
        out->code_blocks += block_is_code(info, ilen, body, (size_t)(it.end - body));
}

struct json_object *
reg_rating_card_json(const char *text)
{
    struct json_tokener *tok;
    struct json_object *obj;
    size_t len = text ? strlen(text) : 0, end;

    if (len == 0 || len > REG_RATING_CARD_JSON_MAX)
        return NULL;
    tok = json_tokener_new_ex(REG_RATING_CARD_JSON_DEPTH);
    if (!tok)
        return NULL;
    obj = json_tokener_parse_ex(tok, text, (int)len);
    end = json_tokener_get_parse_end(tok);
    while (end < len &&
           (text[end] == ' ' || text[end] == '\n' || text[end] == '\r' || text[end] == '\t'))
        end++;
    if (json_tokener_get_error(tok) != json_tokener_success || end != len) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}
