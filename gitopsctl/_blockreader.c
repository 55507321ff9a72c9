/*
 * The block reader (gitopsctl/blockreader.py) in C, for ASCII text.
 *
 * It follows the Python reader line for line and gives up (returns None) wherever that one
 * does, and also on double-quoted scalars with escapes; the caller then runs the Python reader,
 * which gives up in turn to libyaml. Plain scalars that may not be strings are resolved by the
 * Python function it is given, so both readers resolve them the same way. The differential
 * tests hold it to the Python reader and to libyaml.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_DEPTH 200
#define LONGEST_KEY 1000

typedef struct {
    const char *s; /* the whole text */
    Py_ssize_t size;
    Py_ssize_t *starts; /* the start of each line; line i ends at starts[i + 1] - 1 */
    Py_ssize_t count;   /* lines, as str.split("\n") counts them */
    PyObject *map_type, *seq_type, *resolve, *marks_name, *position_name;
} Reader;

typedef struct {
    Py_ssize_t column;
    int is_map;
    PyObject *container; /* owned */
    PyObject *marks;     /* owned: the container's marks (dict or list) */
    int pending;         /* an entry waiting for its value */
    PyObject *key;       /* owned: the pending key */
    Py_ssize_t line, key_column, colon; /* pending key; for an item: line and dash column */
} Frame;

/* Give up: not an error, the text is outside the subset. */
#define GIVE_UP 1
#define FAILED -1

static const char NOT_PLAIN_FIRST[] = "-?:,[]{}#&*!|>'\"%@`";
static const char MAYBE_NOT_STRING[] = "0123456789+-.~nNtTfF";

static inline Py_ssize_t line_end(const Reader *r, Py_ssize_t i) {
    return i + 1 < r->count ? r->starts[i + 1] - 1 : r->size;
}

static inline int in_set(char c, const char *set) { return c != '\0' && strchr(set, c) != NULL; }

static PyObject *position(Py_ssize_t line, Py_ssize_t column) {
    PyObject *pair = PyTuple_New(2);
    if (pair == NULL) return NULL;
    PyTuple_SET_ITEM(pair, 0, PyLong_FromSsize_t(line));
    PyTuple_SET_ITEM(pair, 1, PyLong_FromSsize_t(column));
    if (PyTuple_GET_ITEM(pair, 0) == NULL || PyTuple_GET_ITEM(pair, 1) == NULL) Py_CLEAR(pair);
    return pair;
}

static PyObject *new_container(Reader *r, int is_map, Py_ssize_t line, Py_ssize_t column,
                               PyObject **marks) {
    PyTypeObject *type = (PyTypeObject *)(is_map ? r->map_type : r->seq_type);
    PyObject *empty = PyTuple_New(0);
    if (empty == NULL) return NULL;
    PyObject *container = type->tp_new(type, empty, NULL);
    Py_DECREF(empty);
    if (container == NULL) return NULL;
    PyObject *where = position(line, column);
    *marks = is_map ? PyDict_New() : PyList_New(0);
    if (where == NULL || *marks == NULL || PyObject_SetAttr(container, r->position_name, where) < 0 ||
        PyObject_SetAttr(container, r->marks_name, *marks) < 0) {
        Py_XDECREF(where);
        Py_XDECREF(*marks);
        *marks = NULL;
        Py_DECREF(container);
        return NULL;
    }
    Py_DECREF(where);
    return container;
}

static PyObject *text_of(const char *start, Py_ssize_t length) {
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, start, length);
}

static int is_word(const char *start, Py_ssize_t length, const char *const *words) {
    for (; *words != NULL; words++)
        if ((Py_ssize_t)strlen(*words) == length && memcmp(start, *words, length) == 0) return 1;
    return 0;
}

static const char *const NULLS[] = {"~", "null", "Null", "NULL", NULL};
static const char *const TRUES[] = {"true", "True", "TRUE", NULL};
static const char *const FALSES[] = {"false", "False", "FALSE", NULL};

/* The value of a plain scalar: a string, or what the core schema makes of it. Words and decimal
 * integers are resolved here; other numbers by the Python reader's resolve_plain. */
static PyObject *plain(Reader *r, const char *start, Py_ssize_t length) {
    char first = start[0];
    if (!in_set(first, MAYBE_NOT_STRING)) return text_of(start, length);
    if (is_word(start, length, NULLS)) Py_RETURN_NONE;
    if (is_word(start, length, TRUES)) Py_RETURN_TRUE;
    if (is_word(start, length, FALSES)) Py_RETURN_FALSE;
    if (first >= 'A') return text_of(start, length); /* a word that is none of those */
    Py_ssize_t digits = first == '-' || first == '+' ? 1 : 0;
    while (digits < length && start[digits] >= '0' && start[digits] <= '9') digits++;
    if (digits == length && length > (first == '-' || first == '+') && length < 19) {
        char buffer[20];
        memcpy(buffer, start, length);
        buffer[length] = '\0';
        return PyLong_FromLongLong(strtoll(buffer, NULL, 10));
    }
    PyObject *text = text_of(start, length);
    if (text == NULL) return NULL;
    PyObject *value = PyObject_CallOneArg(r->resolve, text);
    Py_DECREF(text);
    return value;
}

static int ends_indicator(const char *t, Py_ssize_t n, Py_ssize_t i) {
    return i + 1 == n || t[i + 1] == ' ';
}

static int plain_start(const char *t, Py_ssize_t n) {
    if (!in_set(t[0], NOT_PLAIN_FIRST)) return 1;
    return (t[0] == '-' || t[0] == '?' || t[0] == ':') && !ends_indicator(t, n, 0);
}

/* Only spaces, or spaces and a comment, may follow a complete value on its line. */
static int expect_end(const char *t, Py_ssize_t n, Py_ssize_t end) {
    if (end >= n) return 0;
    if (t[end] != ' ') return GIVE_UP;
    while (end < n && t[end] == ' ') end++;
    return end == n || t[end] == '#' ? 0 : GIVE_UP;
}

/* A single-line quoted scalar: its value and the offset after the closing quote. */
static int quoted(const char *t, Py_ssize_t n, PyObject **value, Py_ssize_t *after) {
    if (t[0] == '\'') {
        Py_ssize_t end = 1, length = 0;
        char *buffer = PyMem_Malloc(n > 0 ? n : 1);
        if (buffer == NULL) return FAILED;
        for (;;) {
            if (end >= n) {
                PyMem_Free(buffer);
                return GIVE_UP;
            }
            if (t[end] == '\'') {
                if (end + 1 < n && t[end + 1] == '\'') {
                    buffer[length++] = '\'';
                    end += 2;
                    continue;
                }
                break;
            }
            buffer[length++] = t[end++];
        }
        *value = text_of(buffer, length);
        PyMem_Free(buffer);
        *after = end + 1;
        return *value == NULL ? FAILED : 0;
    }
    Py_ssize_t end = 1;
    while (end < n && t[end] != '"') {
        if (t[end] == '\\') return GIVE_UP; /* escapes: the Python reader decodes them */
        end++;
    }
    if (end >= n) return GIVE_UP;
    *value = text_of(t + 1, end - 1);
    *after = end + 1;
    return *value == NULL ? FAILED : 0;
}

static Py_ssize_t find(const char *t, Py_ssize_t n, const char *what) {
    Py_ssize_t w = (Py_ssize_t)strlen(what);
    for (Py_ssize_t i = 0; i + w <= n; i++)
        if (memcmp(t + i, what, w) == 0) return i;
    return -1;
}

static Py_ssize_t rstrip(const char *t, Py_ssize_t n) {
    while (n > 0 && t[n - 1] == ' ') n--;
    return n;
}

/* The implicit key `t` starts with and the offset of its colon; *key stays NULL when none. */
static int key_of(Reader *r, const char *t, Py_ssize_t n, PyObject **key, Py_ssize_t *colon) {
    *key = NULL;
    if (t[0] == '\'' || t[0] == '"') {
        PyObject *value;
        Py_ssize_t end;
        int status = quoted(t, n, &value, &end);
        if (status) return status;
        Py_ssize_t c = end;
        while (c < n && t[c] == ' ') c++;
        if (c < n && t[c] == ':' && ends_indicator(t, n, c)) {
            if (c > LONGEST_KEY) {
                Py_DECREF(value);
                return GIVE_UP;
            }
            *key = value;
            *colon = c;
            return 0;
        }
        Py_DECREF(value);
        return 0;
    }
    Py_ssize_t comment = find(t, n, " #");
    Py_ssize_t head = comment < 0 ? n : comment;
    Py_ssize_t c = find(t, head, ": ");
    if (c < 0) {
        head = rstrip(t, head);
        if (head == 0 || t[head - 1] != ':') return 0;
        c = head - 1;
    }
    Py_ssize_t raw = rstrip(t, c);
    if (raw == 0 || c > LONGEST_KEY || !plain_start(t, n)) return GIVE_UP;
    *key = plain(r, t, raw);
    *colon = c;
    return *key == NULL ? FAILED : 0;
}

/* A `|` or `|-` block scalar: its value and the first line after it. */
static int literal(Reader *r, Py_ssize_t index, const char *t, Py_ssize_t n, Py_ssize_t parent,
                   PyObject **value, Py_ssize_t *after) {
    int strip = n > 1 && t[1] == '-';
    if (expect_end(t + 1, n - 1, strip ? 1 : 0)) return GIVE_UP;
    Py_ssize_t current = index + 1, blank = 0;
    while (current < r->count && line_end(r, current) == r->starts[current]) {
        blank++;
        current++;
    }
    if (current == r->count) return GIVE_UP;
    const char *first = r->s + r->starts[current];
    Py_ssize_t first_length = line_end(r, current) - r->starts[current], indent = 0;
    while (indent < first_length && first[indent] == ' ') indent++;
    if (indent == first_length) return GIVE_UP; /* a leading line of spaces */
    if (indent <= parent) return GIVE_UP;       /* an empty block scalar */
    /* The body is at most the rest of the text. */
    char *body = PyMem_Malloc(r->size - r->starts[current] + blank + 2);
    if (body == NULL) return FAILED;
    /* The lines joined with line breaks, as "\n".join(parts) in the Python reader. */
    Py_ssize_t length = 0, kept = 0, last = current;
    int started = 0;
    for (Py_ssize_t i = 0; i < blank; i++) {
        if (started) body[length++] = '\n';
        started = 1;
    }
    while (current < r->count) {
        const char *line = r->s + r->starts[current];
        Py_ssize_t size = line_end(r, current) - r->starts[current], spaces = 0;
        while (spaces < size && line[spaces] == ' ') spaces++;
        if (spaces == size) {
            if (size > indent) {
                PyMem_Free(body);
                return GIVE_UP; /* a line of spaces that is content */
            }
            if (started) body[length++] = '\n';
            started = 1;
        } else if (spaces < indent) {
            break;
        } else {
            if (started) body[length++] = '\n';
            started = 1;
            memcpy(body + length, line + indent, size - indent);
            length += size - indent;
            kept = length;
            last = current;
        }
        current++;
    }
    /* Trailing empty lines are not content: cut back to the last content line. */
    length = kept;
    if (!strip && last != r->count - 1) body[length++] = '\n';
    *value = text_of(body, length);
    PyMem_Free(body);
    *after = current;
    return *value == NULL ? FAILED : 0;
}

/* The value `t` (at column `start` of line `index`) starts, and the line after it. */
static int value_of(Reader *r, Py_ssize_t index, Py_ssize_t start, const char *t, Py_ssize_t n,
                    Py_ssize_t parent, PyObject **value, Py_ssize_t *after) {
    char first = t[0];
    *after = index + 1;
    if (in_set(first, NOT_PLAIN_FIRST)) {
        if (first == '\'' || first == '"') {
            Py_ssize_t end;
            int status = quoted(t, n, value, &end);
            if (status) return status;
            if (expect_end(t, n, end)) {
                Py_CLEAR(*value);
                return GIVE_UP;
            }
            return 0;
        }
        if (first == '|') return literal(r, index, t, n, parent, value, after);
        if (n >= 2 && (memcmp(t, "{}", 2) == 0 || memcmp(t, "[]", 2) == 0)) {
            if (expect_end(t, n, 2)) return GIVE_UP;
            PyObject *marks;
            *value = new_container(r, first == '{', index + 1, start + 1, &marks);
            if (*value == NULL) return FAILED;
            Py_DECREF(marks);
            return 0;
        }
        if (!plain_start(t, n)) return GIVE_UP;
    }
    Py_ssize_t comment = find(t, n, " #");
    Py_ssize_t length = rstrip(t, comment < 0 ? n : comment);
    if (find(t, length, ": ") >= 0 || t[length - 1] == ':') return GIVE_UP;
    *value = plain(r, t, length);
    return *value == NULL ? FAILED : 0;
}

static PyObject *mark4(Py_ssize_t a, Py_ssize_t b, Py_ssize_t c, Py_ssize_t d) {
    PyObject *mark = PyTuple_New(4);
    if (mark == NULL) return NULL;
    Py_ssize_t values[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++) {
        PyObject *number = PyLong_FromSsize_t(values[i]);
        if (number == NULL) {
            Py_DECREF(mark);
            return NULL;
        }
        PyTuple_SET_ITEM(mark, i, number);
    }
    return mark;
}

static int set_entry(Frame *f, PyObject *key, PyObject *value, PyObject *mark) {
    if (mark == NULL) return FAILED;
    int failed = PyDict_SetItem(f->container, key, value) < 0 || PyDict_SetItem(f->marks, key, mark) < 0;
    Py_DECREF(mark);
    return failed ? FAILED : 0;
}

static int append_item(Frame *f, PyObject *value, PyObject *mark) {
    if (mark == NULL) return FAILED;
    int failed = PyList_Append(f->container, value) < 0 || PyList_Append(f->marks, mark) < 0;
    Py_DECREF(mark);
    return failed ? FAILED : 0;
}

/* A pending entry that nothing nested follows is null, placed just after its indicator. */
static int close_pending(Frame *f) {
    if (!f->pending) return 0;
    f->pending = 0;
    int status;
    if (f->is_map) {
        status = set_entry(f, f->key, Py_None,
                           mark4(f->line + 1, f->key_column + 1, f->line + 1, f->colon + 2));
        Py_CLEAR(f->key);
    } else {
        status = append_item(f, Py_None, position(f->line + 1, f->key_column + 2));
    }
    return status;
}

/* The pending entry's value is the collection starting at (line, column). */
static int attach(Frame *f, PyObject *container, Py_ssize_t line, Py_ssize_t column) {
    f->pending = 0;
    int status;
    if (f->is_map) {
        status = set_entry(f, f->key, container,
                           mark4(f->line + 1, f->key_column + 1, line, column));
        Py_CLEAR(f->key);
    } else {
        status = append_item(f, container, position(line, column));
    }
    return status;
}

static void release(Frame *f) {
    Py_CLEAR(f->container);
    Py_CLEAR(f->marks);
    Py_CLEAR(f->key);
    f->pending = 0;
}

static int push(Reader *r, Frame *stack, Py_ssize_t *depth, int is_map, Py_ssize_t column,
                Py_ssize_t line) {
    if (*depth >= MAX_DEPTH) return GIVE_UP;
    Frame *f = &stack[*depth];
    memset(f, 0, sizeof(*f));
    f->column = column;
    f->is_map = is_map;
    f->container = new_container(r, is_map, line + 1, column + 1, &f->marks);
    if (f->container == NULL) return FAILED;
    (*depth)++;
    return 0;
}

static int read_lines(Reader *r, PyObject *documents) {
    Frame stack[MAX_DEPTH];
    Py_ssize_t depth = 0;
    int has_root = 0, status = 0;
    for (Py_ssize_t index = 0; index < r->count;) {
        const char *line = r->s + r->starts[index];
        Py_ssize_t size = line_end(r, index) - r->starts[index], indent = 0;
        while (indent < size && line[indent] == ' ') indent++;
        if (indent == size || line[indent] == '#') {
            index++;
            continue;
        }
        const char *t = line + indent;
        Py_ssize_t n = size - indent;
        if (indent == 0 && n >= 3 && memcmp(t, "---", 3) == 0 && (n == 3 || t[3] == ' ')) {
            if ((status = expect_end(t, n, 3))) goto done;
            if (depth && (status = close_pending(&stack[depth - 1]))) goto done;
            while (depth) release(&stack[--depth]);
            has_root = 0;
            index++;
            continue;
        }
        int dash = t[0] == '-' && (n == 1 || t[1] == ' ');
        Frame *f = depth ? &stack[depth - 1] : NULL;
        if (f == NULL || f->pending || f->column != indent || f->is_map == dash) {
            if (f != NULL && f->pending) {
                if (indent > f->column || (indent == f->column && dash && f->is_map)) {
                    if ((status = push(r, stack, &depth, !dash, indent, index))) goto done;
                    Frame *nested = &stack[depth - 1];
                    f = &stack[depth - 2];
                    if ((status = attach(f, nested->container, index + 1, indent + 1))) goto done;
                    f = nested;
                    goto found;
                }
                if ((status = close_pending(f))) goto done;
            }
            while (depth && stack[depth - 1].column > indent) release(&stack[--depth]);
            if (depth && stack[depth - 1].column == indent && !dash && !stack[depth - 1].is_map)
                release(&stack[--depth]); /* a sequence at its key's indent ends at the next key */
            if (depth == 0) {
                if (has_root) {
                    status = GIVE_UP;
                    goto done;
                }
                if ((status = push(r, stack, &depth, !dash, indent, index))) goto done;
                if (PyList_Append(documents, stack[0].container) < 0) {
                    status = FAILED;
                    goto done;
                }
                has_root = 1;
            }
            f = &stack[depth - 1];
            if (f->column != indent || f->is_map == dash) {
                status = GIVE_UP;
                goto done;
            }
        }
    found:;
        Py_ssize_t column = indent;
        if (dash) {
            t++;
            n--;
            while (n > 0 && t[0] == ' ') {
                t++;
                n--;
            }
            if (n == 0 || t[0] == '#') {
                f->pending = 1;
                f->line = index;
                f->key_column = indent;
                index++;
                continue;
            }
            column = t - line;
        }
        PyObject *key;
        Py_ssize_t colon;
        if ((status = key_of(r, t, n, &key, &colon))) goto done;
        if (key == NULL) {
            if (!dash) {
                status = GIVE_UP;
                goto done;
            }
            PyObject *value;
            Py_ssize_t after;
            if ((status = value_of(r, index, column, t, n, indent, &value, &after))) goto done;
            status = append_item(f, value, position(index + 1, column + 1));
            Py_DECREF(value);
            if (status) goto done;
            index = after;
            continue;
        }
        if (dash) { /* `- key: value` starts a mapping inside the item */
            if ((status = push(r, stack, &depth, 1, column, index))) {
                Py_DECREF(key);
                goto done;
            }
            Frame *compact = &stack[depth - 1];
            f = &stack[depth - 2];
            if ((status = append_item(f, compact->container, position(index + 1, column + 1)))) {
                Py_DECREF(key);
                goto done;
            }
            f = compact;
        }
        int known = PyDict_Contains(f->container, key);
        if (known) {
            Py_DECREF(key);
            status = known < 0 ? FAILED : GIVE_UP; /* the complete reader reports duplicates */
            goto done;
        }
        Py_ssize_t start = colon + 1;
        while (start < n && t[start] == ' ') start++;
        if (start == n || t[start] == '#') {
            f->pending = 1;
            f->key = key;
            f->line = index;
            f->key_column = column;
            f->colon = column + colon;
            index++;
            continue;
        }
        PyObject *value;
        Py_ssize_t after;
        status = value_of(r, index, column + start, t + start, n - start, column, &value, &after);
        if (status) {
            Py_DECREF(key);
            goto done;
        }
        status = set_entry(f, key, value, mark4(index + 1, column + 1, index + 1, column + start + 1));
        Py_DECREF(key);
        Py_DECREF(value);
        if (status) goto done;
        index = after;
    }
    if (depth) status = close_pending(&stack[depth - 1]);
done:
    while (depth) release(&stack[--depth]);
    return status;
}

static int unsupported(const char *s, Py_ssize_t size) {
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) return 1; /* tabs, CR, control characters */
        int line_start = i == 0 || s[i - 1] == '\n';
        if (line_start && c == '%') return 1; /* a directive */
        if (line_start && size - i >= 3 && memcmp(s + i, "...", 3) == 0 &&
            (size - i == 3 || s[i + 3] == ' ' || s[i + 3] == '\n'))
            return 1; /* a document end marker */
    }
    return 0;
}

static PyObject *read_stream(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "read(text, PosMap, PosSeq, resolve_plain)");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(args[0])) Py_RETURN_NONE;
    Reader r = {0};
    r.s = (const char *)PyUnicode_1BYTE_DATA(args[0]);
    r.size = PyUnicode_GET_LENGTH(args[0]);
    if (unsupported(r.s, r.size)) Py_RETURN_NONE;
    r.map_type = args[1];
    r.seq_type = args[2];
    r.resolve = args[3];
    if (!PyType_Check(r.map_type) || !PyType_Check(r.seq_type)) {
        PyErr_SetString(PyExc_TypeError, "PosMap and PosSeq must be types");
        return NULL;
    }
    Py_ssize_t lines = 1;
    for (Py_ssize_t i = 0; i < r.size; i++) lines += r.s[i] == '\n';
    r.starts = PyMem_Malloc(sizeof(Py_ssize_t) * (lines + 1));
    if (r.starts == NULL) return PyErr_NoMemory();
    r.count = 0;
    r.starts[r.count++] = 0;
    for (Py_ssize_t i = 0; i < r.size; i++)
        if (r.s[i] == '\n') r.starts[r.count++] = i + 1;
    r.marks_name = PyUnicode_InternFromString("marks");
    r.position_name = PyUnicode_InternFromString("position");
    PyObject *documents = PyList_New(0);
    int status = documents && r.marks_name && r.position_name ? read_lines(&r, documents) : FAILED;
    PyMem_Free(r.starts);
    Py_XDECREF(r.marks_name);
    Py_XDECREF(r.position_name);
    if (status == 0) return documents;
    Py_XDECREF(documents);
    if (status == GIVE_UP) Py_RETURN_NONE;
    return NULL;
}

static PyMethodDef methods[] = {
    {"read", (PyCFunction)(void (*)(void))read_stream, METH_FASTCALL,
     "read(text, PosMap, PosSeq, resolve_plain) -> list | None\n\n"
     "The documents of an ASCII text in the block subset, or None to give up."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_blockreader",
    .m_doc = "The block reader in C (see blockreader.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__blockreader(void) { return PyModule_Create(&module); }
