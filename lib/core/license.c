/*
 * license.c - license ids to terms (a family and the GPL versions each may join), and the
 * pairwise and product verdicts over them (license.h has the rules and their sources).
 *
 * Reasons name the licenses as written and say what carries over or what conflicts; when a
 * pair is refused for both sides' sake, the code's cause comes first.
 */
#include "core/license.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/license_id.h"

/* Short names for the tables below only. */
#define PERM REG_LICENSE_PERMISSIVE
#define WEAK REG_LICENSE_WEAK_COPYLEFT
#define GPL REG_LICENSE_STRONG_COPYLEFT
#define AGPL REG_LICENSE_NETWORK_COPYLEFT
#define RAI REG_LICENSE_USE_RESTRICTED
#define NC REG_LICENSE_NON_COMMERCIAL
#define ND REG_LICENSE_NO_DERIVATIVES
#define UNK REG_LICENSE_UNKNOWN
#define NFAM REG_LICENSE_NFAMILIES
#define G2 REG_LICENSE_GPL2
#define G3 REG_LICENSE_GPL3
#define G23 (REG_LICENSE_GPL2 | REG_LICENSE_GPL3)

static const char *const family_names[NFAM] = {
    [PERM] = "permissive",       [WEAK] = "weak_copyleft", [GPL] = "strong_copyleft",
    [AGPL] = "network_copyleft", [RAI] = "use_restricted", [NC] = "non_commercial",
    [ND] = "no_derivatives",     [UNK] = "unknown",
};

struct id_rule {
    const char *id; /* normalised: lower case, no SPDX suffix */
    enum reg_license_match match;
    enum reg_license_family family;
    unsigned gpl; /* the GPL versions a work under it may be combined into */
};

/*
 * First match wins, so the order matters where patterns overlap: the non-commercial and
 * no-derivatives CC variants come before cc-by-sa and cc-by-, the non-commercial words before
 * everything else, and specific versions before their family's prefix. GPL columns follow the
 * FSF's list of licenses and Creative Commons' compatible-license list; where a license's
 * compatibility depends on a notice an id does not show (EPL-2.0's secondary license), it is
 * left out. Ids not listed (NOASSERTION, other, unknown, ...) are unknown.
 */
static const struct id_rule rules[] = {
    /* non-commercial first: cc-by-nc-sa is not share-alike here, nor cc-by-nc-nd ND */
    {"cc-by-nc", REG_LICENSE_PREFIX, NC, 0},
    {"noncommercial", REG_LICENSE_CONTAINS, NC, 0},
    {"non-commercial", REG_LICENSE_CONTAINS, NC, 0},
    {"research", REG_LICENSE_CONTAINS, NC, 0},
    {"deepfloyd-if-license", REG_LICENSE_EXACT, NC, 0},
    {"apple-amlr", REG_LICENSE_EXACT, NC, 0},
    {"cc-by-nd", REG_LICENSE_PREFIX, ND, 0},
    /* CC BY-SA 4.0 adaptations may be licensed under GPL-3.0 (CC's compatibility list) */
    {"cc-by-sa-4.0", REG_LICENSE_EXACT, GPL, G3},
    {"cc-by-sa", REG_LICENSE_PREFIX, GPL, 0},
    {"cc-by-", REG_LICENSE_PREFIX, PERM, G3},
    {"cc0-", REG_LICENSE_PREFIX, PERM, G23},
    /* copyleft ("gpl" as a prefix matches neither lgpl nor agpl) */
    {"agpl", REG_LICENSE_PREFIX, AGPL, G3},
    {"sspl", REG_LICENSE_PREFIX, AGPL, 0},
    {"osl-3.0", REG_LICENSE_EXACT, AGPL, 0},
    {"lgpl-2", REG_LICENSE_PREFIX, WEAK, G23}, /* LGPL-2.x §3: may become GPL-2.0 or later */
    {"lgpl", REG_LICENSE_PREFIX, WEAK, G3},
    {"gpl-2", REG_LICENSE_PREFIX, GPL, G2}, /* "-or-later" adds GPL-3.0 (terms_of) */
    {"gpl", REG_LICENSE_EXACT, GPL, G23},   /* no version named: any version may be chosen */
    {"gpl", REG_LICENSE_PREFIX, GPL, G3},
    {"mpl-2.0-no-copyleft-exception", REG_LICENSE_EXACT, WEAK, 0},
    {"mpl-2.0", REG_LICENSE_EXACT, WEAK, G23}, /* §3.3: GPL-2.0+ as a secondary license */
    {"mpl-", REG_LICENSE_PREFIX, WEAK, 0},
    {"epl-", REG_LICENSE_PREFIX, WEAK, 0},
    {"eupl-1.2", REG_LICENSE_EXACT, WEAK, G23}, /* its appendix lists GPL-2.0 and GPL-3.0 */
    {"eupl-", REG_LICENSE_PREFIX, WEAK, 0},
    {"cddl-", REG_LICENSE_PREFIX, WEAK, 0},
    {"ms-pl", REG_LICENSE_EXACT, WEAK, 0},
    {"ms-rl", REG_LICENSE_EXACT, WEAK, 0},
    {"odbl", REG_LICENSE_PREFIX, WEAK, 0},
    {"cdla-sharing-", REG_LICENSE_PREFIX, WEAK, 0},
    {"gfdl", REG_LICENSE_PREFIX, WEAK, 0},
    {"ofl-", REG_LICENSE_PREFIX, WEAK, 0},
    /* responsible-AI and community model licenses */
    {"openrail", REG_LICENSE_CONTAINS, RAI, 0},
    {"bigscience-bloom-rail-", REG_LICENSE_PREFIX, RAI, 0},
    {"llama", REG_LICENSE_PREFIX, RAI, 0},
    {"gemma", REG_LICENSE_EXACT, RAI, 0},
    /* permissive; Apache-2.0's patent terms are restrictions GPL-2.0 does not allow */
    {"mit", REG_LICENSE_EXACT, PERM, G23},
    {"mit-0", REG_LICENSE_EXACT, PERM, G23},
    {"apache-2.0", REG_LICENSE_EXACT, PERM, G3},
    {"apache-1.1", REG_LICENSE_EXACT, PERM, 0},
    {"bsd-4-clause", REG_LICENSE_PREFIX, PERM, 0}, /* the advertising clause */
    {"bsd-", REG_LICENSE_PREFIX, PERM, G23},
    {"0bsd", REG_LICENSE_EXACT, PERM, G23},
    {"isc", REG_LICENSE_EXACT, PERM, G23},
    {"zlib", REG_LICENSE_EXACT, PERM, G23},
    {"unlicense", REG_LICENSE_EXACT, PERM, G23},
    {"wtfpl", REG_LICENSE_EXACT, PERM, G23},
    {"bsl-1.0", REG_LICENSE_EXACT, PERM, G23},
    {"artistic-2.0", REG_LICENSE_EXACT, PERM, G23},
    {"afl-3.0", REG_LICENSE_EXACT, PERM, 0},
    {"ecl-2.0", REG_LICENSE_EXACT, PERM, G3},
    {"postgresql", REG_LICENSE_EXACT, PERM, G23},
    {"ncsa", REG_LICENSE_EXACT, PERM, G23},
    {"python-2.0", REG_LICENSE_EXACT, PERM, G23},
    {"psf-2.0", REG_LICENSE_EXACT, PERM, G23},
    {"upl-1.0", REG_LICENSE_EXACT, PERM, G23},
    {"pddl", REG_LICENSE_EXACT, PERM, G23},
    {"odc-by", REG_LICENSE_EXACT, PERM, G3},
    {"cdla-permissive-", REG_LICENSE_PREFIX, PERM, G3},
    {"openmdw-", REG_LICENSE_PREFIX, PERM, G3},
};

/* Whether id (as written) ends in an SPDX "or later" suffix. */
static bool
or_later(const char *id)
{
    size_t len = strlen(id);

    while (len > 0 && (id[len - 1] == ' ' || id[len - 1] == '\t'))
        len--;
    if (len >= 1 && id[len - 1] == '+')
        return true;
    return len >= 9 && strncasecmp(id + len - 9, "-or-later", 9) == 0;
}

/* The id as written, cut to what a reason can quote: printable ASCII but quotes and
 * backslashes, at most REG_LICENSE_QUOTE_MAX bytes; "none" when nothing is left. */
static void
quote_id(const char *id, char out[REG_LICENSE_QUOTE_MAX + 1])
{
    size_t n = 0;

    for (; id && *id && n < REG_LICENSE_QUOTE_MAX; id++)
        if (*id >= ' ' && *id <= '~' && *id != '"' && *id != '\\' && (n > 0 || *id != ' '))
            out[n++] = *id;
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    if (n == 0)
        memcpy(out, "none", sizeof("none"));
}

void
reg_license_terms_of(const char *license, struct reg_license_terms *out)
{
    out->family = UNK;
    out->gpl = 0;
    out->gnu = false;
    out->norm[0] = '\0';
    quote_id(license, out->quote);
    /* An id too long for any license is no license; the rating's table cuts it instead. */
    if (!license || strlen(license) > REG_LICENSE_ID_MAX ||
        !reg_license_id_normalise(license, out->norm, sizeof(out->norm)))
        return;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (reg_license_id_matches(rules[i].match, rules[i].id, out->norm)) {
            out->family = rules[i].family;
            out->gpl = rules[i].gpl;
            break;
        }
    }
    out->gnu = strncmp(out->norm, "gpl", 3) == 0 || strncmp(out->norm, "agpl", 4) == 0;
    if (out->gnu && out->gpl == G2 && or_later(license))
        out->gpl = G23;
}

enum reg_license_family
reg_license_family_of(const char *license)
{
    struct reg_license_terms t;

    reg_license_terms_of(license, &t);
    return t.family;
}

/* A family read from outside (a cast int, a stored value) that is out of range is unknown. */
static enum reg_license_family
valid(enum reg_license_family f)
{
    return (unsigned)f < (unsigned)NFAM ? f : UNK;
}

const char *
reg_license_family_name(enum reg_license_family f)
{
    return family_names[valid(f)];
}

/* One side of a check: its role in reasons ("code", "model", "product") and its terms. */
struct side {
    const char *role;
    const struct reg_license_terms *t;
};

static bool
share_alike(const struct side *s)
{
    return s->t->family == GPL || s->t->family == AGPL;
}

/* The same license on both sides (after normalisation and the "or later" reading). */
static bool
same_license(const struct side *a, const struct side *b)
{
    return a->t->norm[0] && strcmp(a->t->norm, b->t->norm) == 0 && a->t->gpl == b->t->gpl;
}

/* A verdict's reason, appended clause by clause; cut short rather than overflowing. */
static void say(struct reg_license_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct reg_license_verdict *v, const char *fmt, ...)
{
    size_t len = strlen(v->reason);
    va_list ap;

    if (len + 1 >= sizeof(v->reason))
        return;
    va_start(ap, fmt);
    (void)vsnprintf(v->reason + len, sizeof(v->reason) - len, fmt, ap);
    va_end(ap);
}

static void
deny(struct reg_license_verdict *v)
{
    v->allowed = false;
    if (v->reason[0])
        say(v, "; ");
}

/* Refuses for s alone (no license, no derivatives); false if s is usable. */
static bool
refuse_unusable(const struct side *s, struct reg_license_verdict *v)
{
    if (s->t->family == UNK) {
        deny(v);
        say(v,
            "the %s's license (%s) is unknown or other: no license means no permission to use it",
            s->role, s->t->quote);
        return true;
    }
    if (s->t->family == ND) {
        deny(v);
        say(v, "the %s's license (%s) forbids derivatives, and fine-tuning and combining make one",
            s->role, s->t->quote);
        return true;
    }
    return false;
}

/* The GPL a combination under GNU terms goes under, for the versions both sides allow. */
static const char *
gnu_result(unsigned common, const struct side *a, const struct side *b)
{
    if (a->t->family == AGPL || b->t->family == AGPL)
        return "AGPL-3.0 (GPL-3.0 section 13 lets GPL-3.0 and AGPL-3.0 parts combine)";
    if (common == G23)
        return "GPL-2.0-or-later";
    return common == G2 ? "GPL-2.0" : "GPL-3.0";
}

/* s, share-alike, must absorb o: o relicensable into one of s's licenses and adding no
 * restriction. Decides the verdict. */
static void
absorb(const struct side *s, const struct side *o, struct reg_license_verdict *v)
{
    unsigned common = s->t->gpl & o->t->gpl;

    if (o->t->family == RAI || o->t->family == NC) {
        deny(v);
        say(v, "the %s's %s terms (%s) are further restrictions, which the %s's %s forbids",
            o->role, o->t->family == RAI ? "use-restriction" : "non-commercial", o->t->quote,
            s->role, s->t->quote);
    } else if (s->t->gnu && common) {
        say(v, "the %s (%s) may join the %s's %s work: the combination is distributed under %s",
            o->role, o->t->quote, s->role, s->t->quote, gnu_result(common, s, o));
    } else if (!s->t->gnu && !share_alike(o)) {
        say(v,
            "the %s (%s) may join the %s's share-alike work: the combination is distributed "
            "under %s",
            o->role, o->t->quote, s->role, s->t->quote);
    } else {
        deny(v);
        say(v, "the %s's %s cannot be relicensed under the %s's %s, which covers the whole work",
            o->role, o->t->quote, s->role, s->t->quote);
    }
}

/* Neither side share-alike: the parts combine, and the reason says what carries over. */
static void
combine(const struct side *a, const struct side *b, struct reg_license_verdict *v)
{
    const struct side *sides[2] = {a, b};
    bool noted = false;

    say(v, "compatible (%s and %s)", a->t->quote, b->t->quote);
    for (int i = 0; i < 2; i++) {
        const struct side *s = sides[i];

        if (s->t->family == NC)
            say(v, "; non-commercial use only: the %s's terms carry over to the fine-tuned model",
                s->role);
        else if (s->t->family == RAI)
            say(v, "; pass the %s's use restrictions on to users and to the fine-tuned model",
                s->role);
        else if (s->t->family == WEAK)
            say(v, "; share changes to the %s's own files under its weak copyleft", s->role);
        else
            continue;
        noted = true;
    }
    if (!noted)
        say(v, "; keep both copyright and license notices");
}

static void
decide_pair(const struct side *code, const struct side *model, struct reg_license_verdict *v)
{
    bool refused = refuse_unusable(code, v);

    if (refuse_unusable(model, v) || refused)
        return;
    if (same_license(code, model)) {
        say(v, "the same license (%s) on both sides covers the combination", code->t->quote);
    } else if (share_alike(code) && share_alike(model) && (!code->t->gnu || model->t->gnu)) {
        absorb(model, code, v); /* the GNU side, if any, absorbs: code may be CC-BY-SA */
    } else if (share_alike(code)) {
        absorb(code, model, v);
    } else if (share_alike(model)) {
        absorb(model, code, v);
    } else {
        combine(code, model, v);
    }
}

static void
verdict_start(const struct reg_license_terms *code, const struct reg_license_terms *model,
              struct reg_license_verdict *out)
{
    out->allowed = true;
    out->reason[0] = '\0';
    out->code = code->family;
    out->model = model->family;
}

void
reg_license_check(const char *code_spdx, const char *model_license, struct reg_license_verdict *out)
{
    struct reg_license_terms ct, mt;
    struct side code = {"code", &ct}, model = {"model", &mt};

    reg_license_terms_of(code_spdx, &ct);
    reg_license_terms_of(model_license, &mt);
    verdict_start(&ct, &mt, out);
    decide_pair(&code, &model, out);
}

/* Whether side s may ship inside the commercial product p; refuses in v if not. */
static void
fit_product(const struct side *s, const struct side *p, struct reg_license_verdict *v)
{
    if (s->t->family == NC) {
        deny(v);
        say(v, "the %s's license (%s) is non-commercial, and the product is commercial", s->role,
            s->t->quote);
    } else if (share_alike(s) && !same_license(s, p) && !(p->t->gnu && (s->t->gpl & p->t->gpl))) {
        deny(v);
        say(v, "the %s's %s would put the whole product under its terms, not %s", s->role,
            s->t->quote, p->t->quote);
    } else if (share_alike(p) && s->t->family == RAI) {
        deny(v);
        say(v,
            "the %s's use restrictions (%s) are further restrictions, which the product's %s "
            "forbids",
            s->role, s->t->quote, p->t->quote);
    } else if (p->t->gnu && !share_alike(s) && !(s->t->gpl & p->t->gpl)) {
        deny(v);
        say(v, "the %s's %s cannot be distributed under the product's %s", s->role, s->t->quote,
            p->t->quote);
    }
}

enum reg_status
reg_license_product_valid(const char *product_license)
{
    struct reg_license_terms pt;

    reg_license_terms_of(product_license, &pt);
    if (pt.family == UNK || pt.family == NC || pt.family == ND || pt.family == RAI)
        return reg_errorf(REG_EINVAL,
                          "product_license '%s' is not a license a commercial product can be "
                          "under (it is %s)",
                          pt.quote, reg_license_family_name(pt.family));
    return REG_OK;
}

enum reg_status
reg_license_check_product(const char *code_spdx, const char *model_license,
                          const char *product_license, struct reg_license_verdict *out)
{
    struct reg_license_terms ct, mt, pt;
    struct side code = {"code", &ct}, model = {"model", &mt}, product = {"product", &pt};

    enum reg_status st = reg_license_product_valid(product_license);

    if (st != REG_OK)
        return st;
    reg_license_terms_of(product_license, &pt);
    reg_license_terms_of(code_spdx, &ct);
    reg_license_terms_of(model_license, &mt);
    verdict_start(&ct, &mt, out);
    decide_pair(&code, &model, out);
    if (!out->allowed)
        return REG_OK;
    out->reason[0] = '\0';
    fit_product(&code, &product, out);
    fit_product(&model, &product, out);
    if (out->allowed) {
        say(out, "may ship in a commercial %s product: ", pt.quote);
        decide_pair(&code, &model, out);
    }
    return REG_OK;
}
