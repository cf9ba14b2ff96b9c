/*
 * eve_input.h - reading EVE JSON lines for the compliance report: plain
 * files, gzip-compressed files (zlib, detected by content) and
 * directories (their files in name order, subdirectories too). Every
 * line that is not a JSON object is counted and named (FILE:LINE) on
 * stderr, up to a few per file; a truncated or corrupt gzip stream is an
 * error naming the file and the line reached.
 */
#ifndef MX_EVE_INPUT_H
#define MX_EVE_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct eve_input_stats {
	uint64_t files, lines, records, garbage, empty_files;
};

/* Called with each JSON object read; the callee may keep a reference (json_incref). */
typedef void (*eve_record_fn)(void *ctx, json_t *rec);

/*
 * Reads path (file or directory). Returns false after printing a message
 * to stderr when path cannot be read or a gzip stream is cut or corrupt
 * (the records before the damage were delivered).
 */
bool eve_input_read(const char *path, eve_record_fn fn, void *ctx, struct eve_input_stats *st);

#endif
