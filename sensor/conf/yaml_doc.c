/*
 * yaml_doc.c - builds a bounded node tree from libyaml's event stream and
 * keeps the positioned error list the loaders share. Nothing here trusts
 * the input: sizes, depth, node count (aliases expanded) and anchors are
 * capped, and each refusal names the line and column where it happened.
 */
#include "conf/yaml_doc.h"

#include "util/common.h"
#include "util/hash.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ---- error list ---- */

void mx_errors_init(struct mx_errors *e)
{
	e->count = 0;
}

void mx_errors_add(struct mx_errors *e, const char *file, uint32_t line, uint32_t col,
		   const char *fmt, ...)
{
	char *m;
	size_t off;
	int r;
	va_list ap;

	if (e == NULL)
		return;
	if (e->count >= MX_ERRORS_MAX) {
		e->count++;
		return;
	}
	m = e->msg[e->count];
	if (line > 0)
		r = snprintf(m, MX_ERROR_LEN, "%s:%u:%u: ", file, line, col);
	else
		r = snprintf(m, MX_ERROR_LEN, "%s: ", file);
	off = r < 0 ? 0 : MX_MIN((size_t)r, (size_t)MX_ERROR_LEN - 1);
	va_start(ap, fmt);
	vsnprintf(m + off, MX_ERROR_LEN - off, fmt, ap);
	va_end(ap);
	for (char *c = m; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	e->count++;
}

size_t mx_errors_count(const struct mx_errors *e)
{
	return e->count;
}

const char *mx_errors_get(const struct mx_errors *e, size_t i)
{
	if (i >= e->count || i >= MX_ERRORS_MAX)
		return NULL;
	return e->msg[i];
}

void mx_errors_print(const struct mx_errors *e, FILE *out)
{
	size_t kept = e->count < MX_ERRORS_MAX ? e->count : MX_ERRORS_MAX;

	for (size_t i = 0; i < kept; i++)
		fprintf(out, "%s\n", e->msg[i]);
	if (e->count > kept)
		fprintf(out, "(%zu more errors not shown)\n", e->count - kept);
}

/* ---- document ---- */

#define ANCHOR_BUCKETS 1024

struct cell {
	struct cell *next;
	struct ydoc_node node;
};

struct ydoc {
	char *name;
	struct ydoc_node *root;
	struct cell *cells;
};

struct anchor {
	struct anchor *next;
	char *name;
	struct ydoc_node *node;
};

/* An open collection while its items are read. */
struct frame {
	struct ydoc_node *node;
	char *anchor;
	struct ydoc_node **items;
	size_t n, cap;
};

struct parser {
	struct ydoc *doc;
	const struct ydoc_limits *lim;
	struct mx_errors *errs;
	struct frame *stack;
	uint32_t depth;
	uint64_t nodes; /* expanded node count so far */
	struct anchor *anchors[ANCHOR_BUCKETS];
	struct mx_hash_key key; /* of the anchor buckets */
	uint32_t n_anchors;
	bool seen_doc;
	bool failed;
};

void ydoc_limits_default(struct ydoc_limits *l)
{
	l->max_input = 16u << 20;
	l->max_scalar = 64u << 10;
	l->max_depth = 32;
	l->max_nodes = 1000000;
	l->max_anchors = 4096;
}

static void perr(struct parser *p, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct parser *p, const yaml_mark_t *m, const char *fmt, ...)
{
	char buf[MX_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mx_errors_add(p->errs, p->doc->name, (uint32_t)m->line + 1, (uint32_t)m->column + 1, "%s",
		      buf);
	p->failed = true;
}

static struct ydoc_node *node_new(struct parser *p, enum ydoc_type t, const yaml_mark_t *m)
{
	struct cell *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		perr(p, m, "out of memory");
		return NULL;
	}
	c->next = p->doc->cells;
	p->doc->cells = c;
	c->node.type = t;
	c->node.line = (uint32_t)m->line + 1;
	c->node.col = (uint32_t)m->column + 1;
	c->node.file = p->doc->name;
	return &c->node;
}

static uint32_t anchor_hash(const struct parser *p, const char *s)
{
	return (uint32_t)(mx_siphash(&p->key, s, strlen(s)) % ANCHOR_BUCKETS);
}

static struct ydoc_node *anchor_find(struct parser *p, const char *name)
{
	for (struct anchor *a = p->anchors[anchor_hash(p, name)]; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->node;
	return NULL;
}

/* Registers node under name (a later definition shadows an earlier one). */
static void anchor_add(struct parser *p, const char *name, struct ydoc_node *n,
		       const yaml_mark_t *m)
{
	struct anchor *a;
	uint32_t h;

	if (p->n_anchors >= p->lim->max_anchors) {
		perr(p, m, "too many anchors (limit %u)", p->lim->max_anchors);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL || (a->name = strdup(name)) == NULL) {
		free(a);
		perr(p, m, "out of memory");
		return;
	}
	a->node = n;
	h = anchor_hash(p, name);
	a->next = p->anchors[h];
	p->anchors[h] = a;
	p->n_anchors++;
}

static void anchors_free(struct parser *p)
{
	for (size_t i = 0; i < ANCHOR_BUCKETS; i++) {
		struct anchor *a = p->anchors[i], *next;

		for (; a != NULL; a = next) {
			next = a->next;
			free(a->name);
			free(a);
		}
		p->anchors[i] = NULL;
	}
}

/* Appends n to the innermost open collection, or makes it the root. */
static void attach(struct parser *p, struct ydoc_node *n, const yaml_mark_t *m)
{
	struct frame *f;

	if (p->depth == 0) {
		p->doc->root = n;
		return;
	}
	f = &p->stack[p->depth - 1];
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct ydoc_node **items = realloc(f->items, cap * sizeof(*items));

		if (items == NULL) {
			perr(p, m, "out of memory");
			return;
		}
		f->items = items;
		f->cap = cap;
	}
	f->items[f->n++] = n;
}

static bool count_nodes(struct parser *p, uint64_t add, const yaml_mark_t *m)
{
	if (p->nodes + add > p->lim->max_nodes) {
		perr(p, m, "document has more than %u nodes (aliases expanded)", p->lim->max_nodes);
		return false;
	}
	p->nodes += add;
	return true;
}

static void on_scalar(struct parser *p, yaml_event_t *ev)
{
	struct ydoc_node *n;
	char *s;
	size_t len = ev->data.scalar.length;
	const char *v = (const char *)ev->data.scalar.value;

	if (len > p->lim->max_scalar) {
		perr(p, &ev->start_mark, "scalar of %zu bytes is longer than the limit of %zu", len,
		     p->lim->max_scalar);
		return;
	}
	if (!count_nodes(p, 1, &ev->start_mark))
		return;
	n = node_new(p, YDOC_SCALAR, &ev->start_mark);
	if (n == NULL)
		return;
	s = malloc(len + 1);
	if (s == NULL) {
		perr(p, &ev->start_mark, "out of memory");
		return;
	}
	memcpy(s, v, len);
	s[len] = '\0';
	n->str = s;
	n->n = (uint32_t)len;
	n->weight = 1;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->null = n->plain && ev->data.scalar.tag == NULL &&
		  (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
		   strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
	if (ev->data.scalar.anchor != NULL)
		anchor_add(p, (const char *)ev->data.scalar.anchor, n, &ev->start_mark);
	attach(p, n, &ev->start_mark);
}

static void on_start(struct parser *p, yaml_event_t *ev, enum ydoc_type t)
{
	const yaml_char_t *anchor =
	    t == YDOC_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct frame *f;
	struct ydoc_node *n;

	if (p->depth >= p->lim->max_depth) {
		perr(p, &ev->start_mark, "nesting deeper than %u levels", p->lim->max_depth);
		return;
	}
	if (!count_nodes(p, 1, &ev->start_mark))
		return;
	n = node_new(p, t, &ev->start_mark);
	if (n == NULL)
		return;
	f = &p->stack[p->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	if (anchor != NULL && (f->anchor = strdup((const char *)anchor)) == NULL)
		perr(p, &ev->start_mark, "out of memory");
}

struct keyref {
	const struct ydoc_node *k;
	uint32_t idx;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	uint32_t n = x->k->n < y->k->n ? x->k->n : y->k->n;
	int c = memcmp(x->k->str, y->k->str, n);

	if (c != 0)
		return c;
	if (x->k->n != y->k->n)
		return x->k->n < y->k->n ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Reports each scalar key that repeats an earlier key of the mapping. */
static void check_duplicate_keys(struct parser *p, const struct ydoc_node *map)
{
	struct keyref *refs;
	size_t n = 0;

	if (map->n < 2)
		return;
	refs = malloc(map->n * sizeof(*refs));
	if (refs == NULL) {
		mx_errors_add(p->errs, map->file, map->line, map->col, "out of memory");
		p->failed = true;
		return;
	}
	for (uint32_t i = 0; i < map->n; i++) {
		const struct ydoc_node *k = map->items[2 * i];

		if (k->type == YDOC_SCALAR)
			refs[n++] = (struct keyref){k, i};
	}
	qsort(refs, n, sizeof(*refs), keyref_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct ydoc_node *a = refs[i - 1].k, *b = refs[i].k;

		if (a->n == b->n && memcmp(a->str, b->str, a->n) == 0) {
			/* refs[i] is a later occurrence of the same key */
			const struct ydoc_node *later = map->items[2 * refs[i].idx];
			const struct ydoc_node *first;
			size_t j = i - 1;

			while (j > 0 && refs[j - 1].k->n == b->n &&
			       memcmp(refs[j - 1].k->str, b->str, b->n) == 0)
				j--;
			first = refs[j].k;
			mx_errors_add(p->errs, later->file, later->line, later->col,
				      "duplicate key '%.60s' (first at line %u)", later->str,
				      first->line);
			p->failed = true;
		}
	}
	free(refs);
}

static void on_end(struct parser *p, yaml_event_t *ev)
{
	struct frame *f;
	struct ydoc_node *n;
	uint64_t weight = 1;
	uint32_t height = 0;

	if (p->depth == 0)
		return;
	f = &p->stack[--p->depth];
	n = f->node;
	n->items = f->items;
	f->items = NULL;
	n->n = (uint32_t)(n->type == YDOC_MAP ? f->n / 2 : f->n);
	for (size_t i = 0; i < f->n; i++) {
		weight += n->items[i]->weight;
		if (n->items[i]->height > height)
			height = n->items[i]->height;
	}
	n->weight = (uint32_t)MX_MIN(weight, (uint64_t)UINT32_MAX);
	n->height = height + 1;
	if (n->type == YDOC_MAP)
		check_duplicate_keys(p, n);
	if (f->anchor != NULL) {
		anchor_add(p, f->anchor, n, &ev->start_mark);
		free(f->anchor);
		f->anchor = NULL;
	}
	attach(p, n, &ev->start_mark);
}

static void on_alias(struct parser *p, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ydoc_node *target = anchor_find(p, name);

	if (target == NULL) {
		perr(p, &ev->start_mark, "alias '*%.60s' names no complete anchor", name);
		return;
	}
	if (p->depth + target->height > p->lim->max_depth) {
		perr(p, &ev->start_mark, "alias '*%.60s' nests deeper than %u levels", name,
		     p->lim->max_depth);
		return;
	}
	if (!count_nodes(p, target->weight, &ev->start_mark))
		return;
	attach(p, target, &ev->start_mark);
}

/* Line and column (1-based, bytes) of byte offset off in text. */
static void offset_pos(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
	uint32_t l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void syntax_error(struct parser *p, const yaml_parser_t *yp, const char *text, size_t len)
{
	const char *problem = yp->problem ? yp->problem : "unknown problem";
	uint32_t line, col;

	p->failed = true;
	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		mx_errors_add(p->errs, p->doc->name, 0, 0, "out of memory while parsing");
		return;
	case YAML_READER_ERROR:
		offset_pos(text, len, yp->problem_offset, &line, &col);
		mx_errors_add(p->errs, p->doc->name, line, col, "YAML syntax error: %s", problem);
		return;
	default:
		if (yp->context != NULL)
			mx_errors_add(p->errs, p->doc->name, (uint32_t)yp->problem_mark.line + 1,
				      (uint32_t)yp->problem_mark.column + 1,
				      "YAML syntax error: %s %s", yp->context, problem);
		else
			mx_errors_add(p->errs, p->doc->name, (uint32_t)yp->problem_mark.line + 1,
				      (uint32_t)yp->problem_mark.column + 1,
				      "YAML syntax error: %s", problem);
		return;
	}
}

static void run_parser(struct parser *p, const char *text, size_t len)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	bool done = false;

	if (!yaml_parser_initialize(&yp)) {
		mx_errors_add(p->errs, p->doc->name, 0, 0, "out of memory");
		p->failed = true;
		return;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	while (!done && !p->failed) {
		if (!yaml_parser_parse(&yp, &ev)) {
			syntax_error(p, &yp, text, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (p->seen_doc)
				perr(p, &ev.start_mark,
				     "only one YAML document is allowed per file");
			p->seen_doc = true;
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(p, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(p, &ev, YDOC_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(p, &ev, YDOC_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(p, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(p, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
}

struct ydoc *ydoc_parse(const char *name, const char *text, size_t len,
			const struct ydoc_limits *limits, struct mx_errors *errs)
{
	struct ydoc_limits deflim;
	struct parser p;
	struct mx_hash_key key;
	struct ydoc *d;

	mx_hash_key_init(&key);
	if (limits == NULL) {
		ydoc_limits_default(&deflim);
		limits = &deflim;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->name = strdup(name)) == NULL) {
		free(d);
		mx_errors_add(errs, name, 0, 0, "out of memory");
		return NULL;
	}
	if (len > limits->max_input) {
		mx_errors_add(errs, name, 0, 0,
			      "input of %zu bytes is larger than the limit of %zu", len,
			      limits->max_input);
		ydoc_free(d);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.doc = d;
	p.lim = limits;
	p.errs = errs;
	p.key = key;
	p.stack = calloc(limits->max_depth + 1, sizeof(*p.stack));
	if (p.stack == NULL) {
		mx_errors_add(errs, name, 0, 0, "out of memory");
		ydoc_free(d);
		return NULL;
	}
	run_parser(&p, text, len);
	while (p.depth > 0) {
		struct frame *f = &p.stack[--p.depth];

		free(f->items);
		free(f->anchor);
	}
	free(p.stack);
	anchors_free(&p);
	if (p.failed) {
		ydoc_free(d);
		return NULL;
	}
	if (d->root != NULL && d->root->type == YDOC_SCALAR && d->root->null)
		d->root = NULL; /* "---" alone, or "~": an empty document */
	return d;
}

char *ydoc_read_file(const char *path, size_t max, size_t *len, struct mx_errors *errs)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		mx_errors_add(errs, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= n) {
				mx_errors_add(errs, path, 0, 0,
					      "file is larger than the limit of %zu bytes", max);
				goto fail;
			}
			nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				mx_errors_add(errs, path, 0, 0, "out of memory");
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				mx_errors_add(errs, path, 0, 0, "cannot read: %s", strerror(errno));
				goto fail;
			}
			break;
		}
	}
	if (n > max) {
		mx_errors_add(errs, path, 0, 0, "file is larger than the limit of %zu bytes", max);
		goto fail;
	}
	fclose(f);
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		mx_errors_add(errs, path, 0, 0, "out of memory");
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

struct ydoc *ydoc_load_file(const char *path, const struct ydoc_limits *limits,
			    struct mx_errors *errs)
{
	struct ydoc_limits deflim;
	struct ydoc *d;
	size_t len;
	char *text;

	if (limits == NULL) {
		ydoc_limits_default(&deflim);
		limits = &deflim;
	}
	text = ydoc_read_file(path, limits->max_input, &len, errs);
	if (text == NULL)
		return NULL;
	d = ydoc_parse(path, text, len, limits, errs);
	free(text);
	return d;
}

void ydoc_free(struct ydoc *d)
{
	struct cell *c, *next;

	if (d == NULL)
		return;
	for (c = d->cells; c != NULL; c = next) {
		next = c->next;
		free((void *)c->node.str);
		free(c->node.items);
		free(c);
	}
	free(d->name);
	free(d);
}

const struct ydoc_node *ydoc_root(const struct ydoc *d)
{
	return d->root;
}

const char *ydoc_name(const struct ydoc *d)
{
	return d->name;
}

/* ---- accessors ---- */

void ydoc_error(struct mx_errors *e, const struct ydoc_node *n, const char *fmt, ...)
{
	char buf[MX_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mx_errors_add(e, n->file, n->line, n->col, "%s", buf);
}

const char *ydoc_type_name(const struct ydoc_node *n)
{
	switch (n->type) {
	case YDOC_MAP:
		return "mapping";
	case YDOC_SEQ:
		return "sequence";
	case YDOC_SCALAR:
		break;
	}
	return n->null ? "null" : "scalar";
}

static const char *article_type(enum ydoc_type t)
{
	switch (t) {
	case YDOC_MAP:
		return "a mapping";
	case YDOC_SEQ:
		return "a sequence";
	case YDOC_SCALAR:
		break;
	}
	return "a scalar";
}

/* What a node is, for "got ..." in messages. */
static const char *got_type(const struct ydoc_node *n)
{
	if (n->type == YDOC_SCALAR && n->null)
		return "null";
	return article_type(n->type);
}

const char *ydoc_key(const struct ydoc_node *map, uint32_t i)
{
	const struct ydoc_node *k = map->items[2 * i];

	return k->type == YDOC_SCALAR ? k->str : NULL;
}

const struct ydoc_node *ydoc_map_get(const struct ydoc_node *map, const char *key)
{
	if (map == NULL || map->type != YDOC_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->n; i++) {
		const char *k = ydoc_key(map, i);

		if (k != NULL && strcmp(k, key) == 0)
			return map->items[2 * i + 1];
	}
	return NULL;
}

bool ydoc_expect(const struct ydoc_node *n, enum ydoc_type t, const char *what, struct mx_errors *e)
{
	if (n->type == t && !(t == YDOC_SCALAR && n->null))
		return true;
	ydoc_error(e, n, "wrong type for '%s': expected %s, got %s", what, article_type(t),
		   got_type(n));
	return false;
}

bool ydoc_check_keys(const struct ydoc_node *map, const char *const *keys, const char *what,
		     struct mx_errors *e)
{
	bool ok = true;

	for (uint32_t i = 0; i < map->n; i++) {
		const struct ydoc_node *k = map->items[2 * i];
		bool known = false;

		if (k->type != YDOC_SCALAR) {
			ydoc_error(e, k, "wrong type for a key in %s: expected a scalar, got %s",
				   what, article_type(k->type));
			ok = false;
			continue;
		}
		for (size_t j = 0; keys[j] != NULL && !known; j++)
			known = strcmp(keys[j], k->str) == 0;
		if (!known) {
			ydoc_error(e, k, "unknown key '%.60s' in %s", k->str, what);
			ok = false;
		}
	}
	return ok;
}

/* Reports a scalar that is not of the expected kind ("an integer", ...). */
static bool bad_scalar(const struct ydoc_node *n, const char *what, const char *expected,
		       struct mx_errors *e)
{
	if (n->type != YDOC_SCALAR || n->null)
		ydoc_error(e, n, "wrong type for '%s': expected %s, got %s", what, expected,
			   got_type(n));
	else
		ydoc_error(e, n, "wrong type for '%s': expected %s, got '%.60s'", what, expected,
			   n->str);
	return false;
}

/* Parses digits (or 0x hex digits) of s[0..len) into *out; false on junk. */
static bool parse_uint(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool range_check(const struct ydoc_node *n, uint64_t v, uint64_t min, uint64_t max,
			const char *what, struct mx_errors *e)
{
	if (v >= min && v <= max)
		return true;
	ydoc_error(e, n, "value out of range for '%s': %.40s (allowed %llu..%llu)", what, n->str,
		   (unsigned long long)min, (unsigned long long)max);
	return false;
}

bool ydoc_get_u64(const struct ydoc_node *n, uint64_t min, uint64_t max, const char *what,
		  struct mx_errors *e, uint64_t *out)
{
	uint64_t v;
	bool digits = true;

	if (n->type != YDOC_SCALAR || n->null)
		return bad_scalar(n, what, "an integer", e);
	if (!parse_uint(n->str, n->n, &v)) {
		/* a long run of digits is out of range, not of the wrong type */
		for (uint32_t i = 0; i < n->n && digits; i++)
			digits = n->str[i] >= '0' && n->str[i] <= '9';
		if (digits && n->n > 0) {
			ydoc_error(e, n, "value out of range for '%s': %.40s (allowed %llu..%llu)",
				   what, n->str, (unsigned long long)min, (unsigned long long)max);
			return false;
		}
		return bad_scalar(n, what, "an integer", e);
	}
	if (!range_check(n, v, min, max, what, e))
		return false;
	*out = v;
	return true;
}

bool ydoc_get_u32(const struct ydoc_node *n, uint32_t min, uint32_t max, const char *what,
		  struct mx_errors *e, uint32_t *out)
{
	uint64_t v;

	if (!ydoc_get_u64(n, min, max, what, e, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ydoc_get_size(const struct ydoc_node *n, uint64_t min, uint64_t max, const char *what,
		   struct mx_errors *e, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {{"k", 10},	  {"kb", 10}, {"kib", 10}, {"m", 20},  {"mb", 20},
		     {"mib", 20}, {"g", 30},  {"gb", 30},  {"gib", 30}};
	const char *expected = "a size (bytes, or a number with kb, mb or gb)";
	size_t digits = 0;
	unsigned shift = 0;
	uint64_t v;

	if (n->type != YDOC_SCALAR || n->null)
		return bad_scalar(n, what, expected, e);
	while (digits < n->n && n->str[digits] >= '0' && n->str[digits] <= '9')
		digits++;
	if (digits == 0)
		return bad_scalar(n, what, expected, e);
	if (digits < n->n) {
		const char *suf = n->str + digits;
		bool found = false;

		while (*suf == ' ')
			suf++;
		for (size_t i = 0; i < MX_ARRAY_LEN(units) && !found; i++) {
			if (strcasecmp(suf, units[i].suffix) == 0) {
				shift = units[i].shift;
				found = true;
			}
		}
		if (!found)
			return bad_scalar(n, what, expected, e);
	}
	if (!parse_uint(n->str, digits, &v) || v > (UINT64_MAX >> shift)) {
		ydoc_error(e, n, "value out of range for '%s': %.40s (allowed %llu..%llu)", what,
			   n->str, (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	v <<= shift;
	if (!range_check(n, v, min, max, what, e))
		return false;
	*out = v;
	return true;
}

bool ydoc_get_bool(const struct ydoc_node *n, const char *what, struct mx_errors *e, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	if (n->type == YDOC_SCALAR && !n->null) {
		for (size_t i = 0; i < MX_ARRAY_LEN(yes); i++) {
			if (strcasecmp(n->str, yes[i]) == 0) {
				*out = true;
				return true;
			}
			if (strcasecmp(n->str, no[i]) == 0) {
				*out = false;
				return true;
			}
		}
	}
	return bad_scalar(n, what, "a boolean (true or false)", e);
}

bool ydoc_get_str(const struct ydoc_node *n, size_t max_len, const char *what, struct mx_errors *e,
		  const char **out)
{
	if (n->type != YDOC_SCALAR || n->null)
		return bad_scalar(n, what, "a string", e);
	if (n->n == 0) {
		ydoc_error(e, n, "empty value for '%s'", what);
		return false;
	}
	if (n->n > max_len) {
		ydoc_error(e, n, "value too long for '%s' (%u bytes, limit %zu)", what, n->n,
			   max_len);
		return false;
	}
	if (memchr(n->str, '\0', n->n) != NULL) {
		ydoc_error(e, n, "NUL byte in the value of '%s'", what);
		return false;
	}
	*out = n->str;
	return true;
}
