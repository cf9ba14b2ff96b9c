/*
 * alert_out.c - EVE alert records from alert requests; see alert_out.h.
 */
#include "app/alert_out.h"

static void meta_list(struct eve *e, const char *key, const char *val)
{
	eve_list_begin(e, key);
	eve_list_str(e, val);
	eve_list_end(e);
}

/* alert.metadata: what a SIEM filters on, as Suricata's rule metadata
   (every value an array of strings). */
static void write_metadata(struct eve *e, const struct alert_req *r)
{
	eve_obj_begin(e, "metadata");
	meta_list(e, "kind", kind_name(r->kind));
	if (r->tlsrpt != NULL)
		meta_list(e, "tlsrpt_result", r->tlsrpt);
	if (r->exp_source[0])
		meta_list(e, "expectation_source", r->exp_source);
	eve_obj_end(e);
}

static void write_incident(struct eve *e, const struct incident_ref *ref)
{
	char t[48];

	if (ref->id == 0)
		return;
	eve_obj_begin(e, "incident");
	eve_u64(e, "id", ref->id);
	eve_u64(e, "count", ref->count);
	eve_format_time(ref->first_us, t, sizeof(t));
	eve_str(e, "first", t);
	eve_format_time(ref->last_us, t, sizeof(t));
	eve_str(e, "last", t);
	eve_obj_end(e);
}

/*
 * Writes the evidence.h fields of one request (len bytes at buf) as the
 * members of object `key`, with the EVE writers the fields name.
 */
static void write_fields(struct eve *e, const char *key, const char *buf, size_t len)
{
	struct evidence_field f;
	size_t pos = 0;

	eve_obj_begin(e, key);
	while (evidence_next(buf, len, &pos, &f)) {
		switch (f.type) {
		case EVIDENCE_BYTES:
			eve_bytes(e, f.key, f.bytes, f.len);
			break;
		case EVIDENCE_U64:
			eve_u64(e, f.key, f.u64);
			break;
		case EVIDENCE_I64:
			eve_i64(e, f.key, f.i64);
			break;
		case EVIDENCE_BOOL:
			eve_bool(e, f.key, f.b);
			break;
		case EVIDENCE_ADDR:
			eve_addr(e, f.key, &f.addr);
			break;
		case EVIDENCE_OBJ_BEGIN:
			eve_obj_begin(e, f.key);
			break;
		case EVIDENCE_OBJ_END:
			eve_obj_end(e);
			break;
		case EVIDENCE_LIST_BEGIN:
			eve_list_begin(e, f.key);
			break;
		case EVIDENCE_LIST_END:
			eve_list_end(e);
			break;
		case EVIDENCE_LIST_BYTES:
			eve_list_bytes(e, f.bytes, f.len);
			break;
		default:
			break;
		}
	}
	eve_obj_end(e);
}

static void write_one(struct eve *e, struct flow *f, const struct alert_list *l,
		      const struct alert_req *r)
{
	eve_begin(e, EVE_ALERT, r->ts_us, f, r->dir, r->app_proto);
	eve_obj_begin(e, "alert");
	eve_str(e, "action", "allowed");
	eve_u64(e, "gid", 1);
	eve_u64(e, "signature_id", r->sid);
	eve_u64(e, "rev", r->rev);
	eve_str(e, "signature", r->signature);
	eve_str(e, "category", r->category);
	eve_u64(e, "severity", (uint64_t)r->severity);
	write_metadata(e, r);
	eve_obj_end(e);

	eve_obj_begin(e, "downgrade");
	eve_str(e, "kind", kind_name(r->kind));
	if (r->tlsrpt != NULL)
		eve_str(e, "tlsrpt_result", r->tlsrpt);
	write_fields(e, "evidence", l->text + r->evidence_off, r->evidence_len);
	if (r->exp_source[0])
		write_fields(e, "expectation", l->text + r->expectation_off, r->expectation_len);
	write_incident(e, &r->incident);
	eve_obj_end(e);
	eve_app_layer(e, f);
	eve_commit(e);
}

void alert_out_flush(struct eve *e, struct flow *f, struct alert_list *l)
{
	bool wanted = l->n > 0 && l->render && eve_wants(e, EVE_ALERT);

	if (l->n > 0 && f != NULL)
		f->alerted = true;
	for (size_t i = 0; wanted && i < l->n; i++)
		write_one(e, f, l, &l->req[i]);
	alert_list_clear(l);
}
