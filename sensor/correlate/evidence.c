/*
 * evidence.c - the evidence builder and reader (evidence.h). A field is
 * its type (one byte), its key with a terminating NUL, then its value:
 * bytes as a size_t length and the bytes, numbers and addresses as their
 * memory image, a boolean as one byte, nothing for the begin/end marks.
 */
#include "correlate/evidence.h"

#include <string.h>

void evidence_init(struct evidence *ev, char *buf, size_t cap)
{
	ev->buf = buf;
	ev->cap = cap;
	ev->len = 0;
	ev->full = false;
}

/* Appends one field; on overflow nothing of it is kept and the builder stops. */
static void put(struct evidence *ev, enum evidence_type t, const char *key, const void *v1,
		size_t n1, const void *v2, size_t n2)
{
	size_t klen = strlen(key) + 1;
	size_t need = 1 + klen + n1 + n2;

	if (ev->full)
		return;
	if (need > ev->cap - ev->len) {
		ev->full = true;
		return;
	}
	ev->buf[ev->len++] = (char)t;
	memcpy(ev->buf + ev->len, key, klen);
	ev->len += klen;
	if (n1 > 0)
		memcpy(ev->buf + ev->len, v1, n1);
	ev->len += n1;
	if (n2 > 0)
		memcpy(ev->buf + ev->len, v2, n2);
	ev->len += n2;
}

void evidence_bytes(struct evidence *ev, const char *key, const uint8_t *val, size_t len)
{
	put(ev, EVIDENCE_BYTES, key, &len, sizeof(len), val, len);
}

void evidence_str(struct evidence *ev, const char *key, const char *val)
{
	evidence_bytes(ev, key, (const uint8_t *)val, strlen(val));
}

void evidence_u64(struct evidence *ev, const char *key, uint64_t val)
{
	put(ev, EVIDENCE_U64, key, &val, sizeof(val), NULL, 0);
}

void evidence_i64(struct evidence *ev, const char *key, int64_t val)
{
	put(ev, EVIDENCE_I64, key, &val, sizeof(val), NULL, 0);
}

void evidence_bool(struct evidence *ev, const char *key, bool val)
{
	uint8_t b = val ? 1 : 0;

	put(ev, EVIDENCE_BOOL, key, &b, 1, NULL, 0);
}

void evidence_addr(struct evidence *ev, const char *key, const struct mx_addr *a)
{
	put(ev, EVIDENCE_ADDR, key, a->b, sizeof(a->b), NULL, 0);
}

void evidence_obj_begin(struct evidence *ev, const char *key)
{
	put(ev, EVIDENCE_OBJ_BEGIN, key, NULL, 0, NULL, 0);
}

void evidence_obj_end(struct evidence *ev)
{
	put(ev, EVIDENCE_OBJ_END, "", NULL, 0, NULL, 0);
}

void evidence_list_begin(struct evidence *ev, const char *key)
{
	put(ev, EVIDENCE_LIST_BEGIN, key, NULL, 0, NULL, 0);
}

void evidence_list_end(struct evidence *ev)
{
	put(ev, EVIDENCE_LIST_END, "", NULL, 0, NULL, 0);
}

void evidence_list_bytes(struct evidence *ev, const uint8_t *val, size_t len)
{
	put(ev, EVIDENCE_LIST_BYTES, "", &len, sizeof(len), val, len);
}

void evidence_list_str(struct evidence *ev, const char *val)
{
	evidence_list_bytes(ev, (const uint8_t *)val, strlen(val));
}

/* Copies n bytes of the value at *pos into dst; false when they are not there. */
static bool take(const char *buf, size_t len, size_t *pos, void *dst, size_t n)
{
	if (n > len - *pos)
		return false;
	memcpy(dst, buf + *pos, n);
	*pos += n;
	return true;
}

bool evidence_next(const char *buf, size_t len, size_t *pos, struct evidence_field *f)
{
	const char *nul;
	uint8_t b;

	if (*pos >= len)
		return false;
	memset(f, 0, sizeof(*f));
	f->type = (enum evidence_type)(uint8_t)buf[(*pos)++];
	nul = memchr(buf + *pos, '\0', len - *pos);
	if (nul == NULL)
		return false;
	f->key = buf + *pos;
	*pos = (size_t)(nul - buf) + 1;
	switch (f->type) {
	case EVIDENCE_BYTES:
	case EVIDENCE_LIST_BYTES:
		if (!take(buf, len, pos, &f->len, sizeof(f->len)) || f->len > len - *pos)
			return false;
		f->bytes = (const uint8_t *)buf + *pos;
		*pos += f->len;
		return true;
	case EVIDENCE_U64:
		return take(buf, len, pos, &f->u64, sizeof(f->u64));
	case EVIDENCE_I64:
		return take(buf, len, pos, &f->i64, sizeof(f->i64));
	case EVIDENCE_BOOL:
		if (!take(buf, len, pos, &b, 1))
			return false;
		f->b = b != 0;
		return true;
	case EVIDENCE_ADDR:
		return take(buf, len, pos, f->addr.b, sizeof(f->addr.b));
	case EVIDENCE_OBJ_BEGIN:
	case EVIDENCE_OBJ_END:
	case EVIDENCE_LIST_BEGIN:
	case EVIDENCE_LIST_END:
		return true;
	default:
		return false;
	}
}
