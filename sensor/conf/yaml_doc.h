/*
 * yaml_doc.h - a small YAML document loader on top of libyaml's event
 * parser, shared by the configuration, rules and policy loaders. It builds
 * a read-only node tree in which every node knows its file, line and column
 * (1-based), and it defends itself against hostile input: the input size,
 * the length of a scalar, the nesting depth and the number of nodes after
 * alias expansion are all bounded, duplicate mapping keys are refused, and
 * every refusal is an error with its position.
 *
 * Also here: struct mx_errors, the bounded list of "FILE:LINE:COLUMN:
 * message" errors every loader reports into, and typed accessors that turn
 * a scalar into an integer, a size, a boolean or a string or report why not.
 */
#ifndef MX_YAML_DOC_H
#define MX_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- error list ---- */

#define MX_ERRORS_MAX 64  /* errors kept; later ones are only counted */
#define MX_ERROR_LEN  320 /* bytes of one message, NUL included */

struct mx_errors {
	size_t count; /* errors reported, kept or not */
	char msg[MX_ERRORS_MAX][MX_ERROR_LEN];
};

/* Empties the list. */
void mx_errors_init(struct mx_errors *e);

/*
 * Adds "FILE:LINE:COLUMN: message" (or "FILE: message" when line is 0).
 * Bytes outside printable ASCII are replaced by '?', so text taken from a
 * file cannot carry terminal escapes. Messages longer than MX_ERROR_LEN are
 * cut. NULL e is allowed and ignored.
 */
void mx_errors_add(struct mx_errors *e, const char *file, uint32_t line, uint32_t col,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Number of errors reported so far (including those not kept). */
size_t mx_errors_count(const struct mx_errors *e);

/* The i-th kept message, or NULL past the last kept one. */
const char *mx_errors_get(const struct mx_errors *e, size_t i);

/* Prints every kept message on its own line, then how many were not kept. */
void mx_errors_print(const struct mx_errors *e, FILE *out);

/* ---- document ---- */

enum ydoc_type { YDOC_SCALAR, YDOC_SEQ, YDOC_MAP };

struct ydoc_node {
	enum ydoc_type type;
	uint32_t line, col;	  /* 1-based position of the node's first character */
	const char *file;	  /* the document's name, for error messages */
	bool plain;		  /* scalar written without quotes or block style */
	bool null;		  /* plain scalar that is empty, "~" or "null" */
	uint32_t n;		  /* scalar: bytes; sequence: items; mapping: pairs */
	const char *str;	  /* scalar text, NUL-terminated (may hold NULs) */
	struct ydoc_node **items; /* sequence: n items; mapping: key0, val0, ... */
	uint32_t weight;	  /* nodes in this subtree, aliases expanded */
	uint32_t height;	  /* collection levels in this subtree (a scalar: 0) */
};

/* Bounds applied while loading. */
struct ydoc_limits {
	size_t max_input;   /* bytes of input */
	size_t max_scalar;  /* bytes of one scalar */
	uint32_t max_depth; /* nesting of collections */
	uint32_t max_nodes; /* nodes of the tree with every alias expanded */
	uint32_t max_anchors;
};

/* 16 MiB input, 64 KiB scalars, depth 32, 1,000,000 nodes, 4096 anchors. */
void ydoc_limits_default(struct ydoc_limits *l);

struct ydoc;

/*
 * Parses one YAML (or JSON) document from text[0..len). `name` is used in
 * error messages and copied. limits NULL means the defaults. Returns the
 * document, or NULL after adding at least one error to errs. A stream with
 * no document, or whose document is only a null, gives a root of NULL; a second document in
 * the stream is an error. Aliases are resolved to the anchored node (the
 * tree is a DAG); their expanded size counts against max_nodes.
 */
struct ydoc *ydoc_parse(const char *name, const char *text, size_t len,
			const struct ydoc_limits *limits, struct mx_errors *errs);

/*
 * Reads the file at path (at most limits->max_input bytes, else an error)
 * and parses it as ydoc_parse does, naming it by path.
 */
struct ydoc *ydoc_load_file(const char *path, const struct ydoc_limits *limits,
			    struct mx_errors *errs);

/*
 * Reads a whole file into a new NUL-terminated buffer of at most max bytes.
 * Returns NULL after adding an error ("FILE: cannot read: reason" or "file
 * too large"). *len receives the size without the NUL.
 */
char *ydoc_read_file(const char *path, size_t max, size_t *len, struct mx_errors *errs);

/* Frees the document and every node; NULL is allowed. */
void ydoc_free(struct ydoc *d);

/* The root node, NULL for an empty document. */
const struct ydoc_node *ydoc_root(const struct ydoc *d);

/* The name the document was loaded under. */
const char *ydoc_name(const struct ydoc *d);

/* ---- accessors; each reports a positioned error and returns false ---- */

/* Adds "FILE:LINE:COL: message" at node n's position. */
void ydoc_error(struct mx_errors *e, const struct ydoc_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "mapping", "sequence", "null" or "scalar". */
const char *ydoc_type_name(const struct ydoc_node *n);

/* Key i of a mapping (a scalar's text, or NULL for a non-scalar key). */
const char *ydoc_key(const struct ydoc_node *map, uint32_t i);

/* Value of the first pair whose scalar key equals key, or NULL. */
const struct ydoc_node *ydoc_map_get(const struct ydoc_node *map, const char *key);

/*
 * True when n is of type t. Else adds "wrong type for 'what': expected a
 * T, got a U" at n.
 */
bool ydoc_expect(const struct ydoc_node *n, enum ydoc_type t, const char *what,
		 struct mx_errors *e);

/*
 * Checks that every key of map is a scalar named in keys (a NULL-terminated
 * list); reports "unknown key 'K' in WHAT" at each other key.
 */
bool ydoc_check_keys(const struct ydoc_node *map, const char *const *keys, const char *what,
		     struct mx_errors *e);

/* A decimal (or 0x hexadecimal) integer in [min, max]. */
bool ydoc_get_u64(const struct ydoc_node *n, uint64_t min, uint64_t max, const char *what,
		  struct mx_errors *e, uint64_t *out);

/* Same for a uint32_t. */
bool ydoc_get_u32(const struct ydoc_node *n, uint32_t min, uint32_t max, const char *what,
		  struct mx_errors *e, uint32_t *out);

/*
 * A byte size in [min, max]: an integer optionally followed by k/kb/kib,
 * m/mb/mib or g/gb/gib (case-insensitive, all binary multiples).
 */
bool ydoc_get_size(const struct ydoc_node *n, uint64_t min, uint64_t max, const char *what,
		   struct mx_errors *e, uint64_t *out);

/* true/false, yes/no, on/off (any case). */
bool ydoc_get_bool(const struct ydoc_node *n, const char *what, struct mx_errors *e, bool *out);

/*
 * A non-null scalar of 1..max_len bytes without NUL bytes; *out points
 * into the document.
 */
bool ydoc_get_str(const struct ydoc_node *n, size_t max_len, const char *what, struct mx_errors *e,
		  const char **out);

#endif
