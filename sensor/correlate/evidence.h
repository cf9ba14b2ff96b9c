/*
 * evidence.h - the evidence builder: the members of an alert's
 * downgrade.evidence and downgrade.expectation objects as a list of typed
 * fields (string or bytes, unsigned, signed, boolean, address, list of
 * strings or bytes, nested object), appended into a bounded buffer (the
 * alert list's text, alert.h) while the alert is decided. Correlate writes
 * no EVE: the caller renders the fields into the alert record after the
 * stage's lock is released (app/alert_out.c). Values are copied, so the
 * fields outlive what they were built from.
 */
#ifndef MX_EVIDENCE_H
#define MX_EVIDENCE_H

#include "util/common.h"

/* What one field is. Strings are bytes with their length. */
enum evidence_type {
	EVIDENCE_BYTES = 1, /* key, bytes */
	EVIDENCE_U64,	    /* key, uint64_t */
	EVIDENCE_I64,	    /* key, int64_t */
	EVIDENCE_BOOL,	    /* key, bool */
	EVIDENCE_ADDR,	    /* key, struct mx_addr */
	EVIDENCE_OBJ_BEGIN, /* key: a nested object follows, up to EVIDENCE_OBJ_END */
	EVIDENCE_OBJ_END,
	EVIDENCE_LIST_BEGIN, /* key: list elements follow, up to EVIDENCE_LIST_END */
	EVIDENCE_LIST_END,
	EVIDENCE_LIST_BYTES, /* one list element: bytes */
};

/*
 * A builder over buf (cap bytes). A field that does not fit sets full
 * and stops the builder (the caller drops what it built and counts it).
 */
struct evidence {
	char *buf;
	size_t cap, len;
	bool full;
};

/* Starts an empty builder over buf. */
void evidence_init(struct evidence *ev, char *buf, size_t cap);

/* Appending fields; each is a member of the object being built. */
void evidence_str(struct evidence *ev, const char *key, const char *val);
void evidence_bytes(struct evidence *ev, const char *key, const uint8_t *val, size_t len);
void evidence_u64(struct evidence *ev, const char *key, uint64_t val);
void evidence_i64(struct evidence *ev, const char *key, int64_t val);
void evidence_bool(struct evidence *ev, const char *key, bool val);
void evidence_addr(struct evidence *ev, const char *key, const struct mx_addr *a);
void evidence_obj_begin(struct evidence *ev, const char *key);
void evidence_obj_end(struct evidence *ev);
void evidence_list_begin(struct evidence *ev, const char *key);
void evidence_list_end(struct evidence *ev);
/* List elements. */
void evidence_list_str(struct evidence *ev, const char *val);
void evidence_list_bytes(struct evidence *ev, const uint8_t *val, size_t len);

/* One field read back; key, bytes and addr point into the buffer read. */
struct evidence_field {
	enum evidence_type type;
	const char *key; /* "" for list elements and ends */
	const uint8_t *bytes;
	size_t len;
	uint64_t u64;
	int64_t i64;
	bool b;
	struct mx_addr addr;
};

/*
 * Reads the field at *pos of the len bytes at buf (what a builder wrote)
 * into *f and moves *pos past it. False at the end or on a malformed
 * field.
 */
bool evidence_next(const char *buf, size_t len, size_t *pos, struct evidence_field *f);

#endif
