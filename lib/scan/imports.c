/*
 * imports.c - the verdict table: which pickle imports are safe, which are dangerous. One table,
 * the same as README's ("Model scanning"); an import on neither list is suspicious.
 *
 * Patterns are fnmatch(3) globs over the module and the name (Python 3 qualified names may be
 * dotted). A deny row for a whole module ("os", name "*") also matches its submodules
 * ("os.path"); the first matching row decides, and deny rows come first.
 */
#include <fnmatch.h>
#include <stdbool.h>
#include <string.h>

#include "scan/scan.h"

struct rule {
    const char *module;
    const char *name;
    enum reg_scan_verdict verdict;
    const char *why;
};

#define DENY REG_SCAN_DANGEROUS
#define ALLOW REG_SCAN_SAFE

static const struct rule rules[] = {
    /* Builtins that run code, reach any attribute or touch files and the terminal. */
    {"builtins", "eval", DENY, "evaluates a string as Python"},
    {"builtins", "exec", DENY, "executes a string as Python"},
    {"builtins", "execfile", DENY, "executes a file as Python"},
    {"builtins", "compile", DENY, "compiles code to run"},
    {"builtins", "getattr", DENY, "reaches any attribute (os.system from a module)"},
    {"builtins", "setattr", DENY, "rewrites any attribute"},
    {"builtins", "delattr", DENY, "deletes any attribute"},
    {"builtins", "open", DENY, "opens files"},
    {"builtins", "__import__", DENY, "imports any module"},
    {"builtins", "breakpoint", DENY, "starts a debugger"},
    {"builtins", "input", DENY, "reads the terminal"},
    {"builtins", "globals", DENY, "hands out the interpreter's globals"},
    {"builtins", "vars", DENY, "hands out a namespace"},
    {"builtins", "apply", DENY, "calls anything"},
    /* Modules whose every name is a way to run commands, code or network I/O. */
    {"os", "*", DENY, "processes and files"},
    {"posix", "*", DENY, "processes and files (os on Unix)"},
    {"nt", "*", DENY, "processes and files (os on Windows)"},
    {"subprocess", "*", DENY, "runs commands"},
    {"sys", "*", DENY, "the interpreter itself (modules, exit)"},
    {"socket", "*", DENY, "network access"},
    {"runpy", "*", DENY, "runs modules and scripts"},
    {"shutil", "*", DENY, "copies and deletes files"},
    {"pty", "*", DENY, "spawns shells"},
    {"pickle", "*", DENY, "unpickles again, unscanned"},
    {"_pickle", "*", DENY, "unpickles again, unscanned"},
    {"cPickle", "*", DENY, "unpickles again, unscanned"},
    {"dill", "*", DENY, "unpickles code"},
    {"importlib", "*", DENY, "imports any module"},
    {"marshal", "*", DENY, "loads code objects"},
    {"types", "*", DENY, "builds functions from code objects"},
    {"ctypes", "*", DENY, "calls native code"},
    {"webbrowser", "*", DENY, "opens URLs, runs a browser"},
    {"requests", "*", DENY, "network access"},
    {"aiohttp", "*", DENY, "network access"},
    {"httplib", "*", DENY, "network access"},
    {"http", "*", DENY, "network access (http.client)"},
    {"urllib", "*", DENY, "network access"},
    {"urllib2", "*", DENY, "network access"},
    {"code", "*", DENY, "runs an interpreter"},
    {"codeop", "*", DENY, "compiles code"},
    {"commands", "*", DENY, "runs commands (Python 2)"},
    {"asyncio", "*", DENY, "subprocesses and network"},
    {"multiprocessing", "*", DENY, "starts processes"},
    {"signal", "*", DENY, "signals processes"},
    {"timeit", "*", DENY, "executes a string as Python"},
    {"pdb", "*", DENY, "runs a debugger over code"},
    {"bdb", "*", DENY, "runs a debugger over code"},
    {"cProfile", "*", DENY, "executes a string as Python"},
    {"profile", "*", DENY, "executes a string as Python"},
    {"pydoc", "*", DENY, "runs a pager command"},
    {"venv", "*", DENY, "runs pip"},
    {"pip", "*", DENY, "installs packages"},
    /* Gadgets that turn an allowed call into any call or attribute. */
    {"operator", "attrgetter", DENY, "reaches any attribute"},
    {"operator", "methodcaller", DENY, "calls any method"},
    {"functools", "partial", DENY, "calls anything with bound arguments"},
    {"functools", "reduce", DENY, "calls anything repeatedly"},
    /* Loaders that unpickle nested data the scanner does not see. */
    {"torch.serialization", "load", DENY, "unpickles another file, unscanned"},
    {"torch", "load", DENY, "unpickles another file, unscanned"},
    {"torch.storage", "_load_from_bytes", DENY, "runs torch.load on embedded bytes, unscanned"},
    {"torch.hub", "*", DENY, "downloads and runs repository code"},
    {"numpy", "load", DENY, "may unpickle another file (allow_pickle)"},
    {"numpy.lib.npyio", "*", DENY, "may unpickle another file (allow_pickle)"},
    {"joblib", "load", DENY, "unpickles another file, unscanned"},
    /* What torch.save and numpy write for tensors and arrays: rebuilders that take data, not
     * code, and containers. */
    {"collections", "OrderedDict", ALLOW, "the state dict's container"},
    {"torch._utils", "_rebuild_tensor", ALLOW, "rebuilds a tensor from a storage"},
    {"torch._utils", "_rebuild_tensor_v2", ALLOW, "rebuilds a tensor from a storage"},
    {"torch._utils", "_rebuild_parameter", ALLOW, "wraps a tensor as a Parameter"},
    {"torch._utils", "_rebuild_parameter_with_state", ALLOW, "a Parameter with attributes"},
    {"torch._utils", "_rebuild_qtensor", ALLOW, "rebuilds a quantized tensor"},
    {"torch._tensor", "_rebuild_from_type_v2", ALLOW,
     "a tensor subclass (calls an import that is judged on its own)"},
    {"torch", "*Storage", ALLOW, "typed storage classes (FloatStorage, HalfStorage, ...)"},
    {"torch", "Size", ALLOW, "a tuple of dimensions"},
    {"torch", "device", ALLOW, "a device name"},
    {"torch", "float*", ALLOW, "a dtype"},
    {"torch", "bfloat16", ALLOW, "a dtype"},
    {"torch", "half", ALLOW, "a dtype"},
    {"torch", "int*", ALLOW, "a dtype"},
    {"torch", "uint8", ALLOW, "a dtype"},
    {"torch", "bool", ALLOW, "a dtype"},
    {"numpy.core.multiarray", "_reconstruct", ALLOW, "rebuilds an array"},
    {"numpy.core.multiarray", "scalar", ALLOW, "rebuilds a scalar"},
    {"numpy._core.multiarray", "_reconstruct", ALLOW, "rebuilds an array (numpy 2)"},
    {"numpy._core.multiarray", "scalar", ALLOW, "rebuilds a scalar (numpy 2)"},
    {"numpy", "ndarray", ALLOW, "the array type"},
    {"numpy", "dtype", ALLOW, "a dtype"},
    {"_codecs", "encode", ALLOW, "how protocol 2 writes bytes (text to bytes, nothing else)"},
    {"builtins", "set", ALLOW, "a container"},
    {"builtins", "frozenset", ALLOW, "a container"},
    {"builtins", "bytearray", ALLOW, "a container"},
    {"builtins", "slice", ALLOW, "a value"},
    {"builtins", "complex", ALLOW, "a value"},
};

/* Python 2 pickles name builtins __builtin__ (the unpickler maps it to builtins). */
static const char *
canonical(const char *module)
{
    return strcmp(module, "__builtin__") == 0 ? "builtins" : module;
}

/* Whether name, or for a deny row the first part of a dotted name ("eval.__call__" reaches eval
 * first), matches the row's pattern. */
static bool
name_matches(const struct rule *r, const char *name)
{
    char first[257];
    size_t n = strcspn(name, ".");

    if (fnmatch(r->name, name, 0) == 0)
        return true;
    if (r->verdict != DENY || name[n] == '\0' || n >= sizeof(first))
        return false;
    memcpy(first, name, n);
    first[n] = '\0';
    return fnmatch(r->name, first, 0) == 0;
}

static bool
module_matches(const char *pattern, const char *module, bool whole)
{
    size_t n = strlen(pattern);

    if (fnmatch(pattern, module, 0) == 0)
        return true;
    return whole && strncmp(module, pattern, n) == 0 && module[n] == '.';
}

enum reg_scan_verdict
reg_scan_import_verdict(const char *module, const char *name, const char **why)
{
    const char *m = canonical(module);

    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        bool whole = strcmp(r->name, "*") == 0;
        if (module_matches(r->module, m, whole && r->verdict == DENY) && name_matches(r, name)) {
            if (why)
                *why = r->why;
            return r->verdict;
        }
    }
    if (why)
        *why = NULL;
    return REG_SCAN_SUSPICIOUS;
}
