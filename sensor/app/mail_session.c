/*
 * mail_session.c - one SMTP connection: drives the SMTP and TLS
 * dissectors over the two reassembled directions, keeps the failed TLS
 * attempts per address pair, hands what it saw to mail_correlate.h as
 * copied facts (every detection is decided there), writes the alert
 * records of the requests correlate hands back, and the smtp and tls
 * records.
 */
#include "app/mail_session.h"
#include "util/hash.h"
#include "app/mail_trans.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "correlate/correlate.h"
#include "correlate/correlate_state.h"
#include "correlate/mail_correlate.h"
#include "correlate/alert.h"
#include "app/alert_out.h"
#include "app/cert_check.h"
#include "smtp.h"
#include "tls.h"

/*
 * Failed TLS attempts remembered for tls-fallback-cleartext. The table is
 * one per mail_ctx, so one per worker when several run: a fallback is a
 * later connection between the same two addresses, and frames are
 * dispatched to workers by their address pair, so it always reaches the
 * worker that saw the failure.
 */
#define FALLBACK_SLOTS 4096

/* Bytes of each version of a conflicting overlap quoted in stream-evasion. */
#define EVASION_QUOTE 64

struct mail_counters {
	uint64_t sessions, implicit_tls, starttls_offered, starttls_issued, tls_handshakes,
	    cleartext_mail, records, memcap, fallback_evicted;
};

struct mail_ctx {
	struct app_config cfg;
	struct eve *eve;
	struct correlate *corr;
	struct tls_memcap tls_mc;
	struct tls_cert_cache *certs;
	size_t session_bytes;
	struct tls_failure_facts fallback[FALLBACK_SLOTS];
	struct mx_hash_key key; /* of the fallback slots */
	struct mail_counters ctr;
	/* what correlate decided in its last entry point, written after it returned */
	struct alert_list alerts;
};

struct mail_session {
	struct smtp_state smtp;
	struct tls_state tls;
	struct mail_facts mf;
	struct mail_ctx *m;
	struct flow *f;
	bool sniffed;
	bool implicit;
	bool plaintext_banner;
	char banner_text[64];
	bool cert_checked;
	bool fallback_checked;
	bool tls_failed_noted;
	bool response_injection_seen;
	struct mail_trans_log *trans; /* one entry per mail, NULL before the first */
	size_t chain_bytes;	      /* memcap bytes of mf.chain_der */
	/* the kept side of the conflicting overlap being reported */
	uint8_t overlap_kept[EVASION_QUOTE];
	size_t overlap_kept_len, overlap_kept_total;
	/* leaf certificate details for the tls record */
	char subject[256], issuer[256], serial[80];
	char fingerprint[60];
	int64_t not_before, not_after; /* 0: not seen */
};

static const struct mx_counter_desc mail_counter_desc[] = {
    MX_COUNTER("app_layer.smtp.sessions", struct mail_counters, sessions),
    MX_COUNTER("app_layer.smtp.implicit_tls", struct mail_counters, implicit_tls),
    MX_COUNTER("app_layer.smtp.starttls_offered", struct mail_counters, starttls_offered),
    MX_COUNTER("app_layer.smtp.starttls_issued", struct mail_counters, starttls_issued),
    MX_COUNTER("app_layer.smtp.tls_handshakes", struct mail_counters, tls_handshakes),
    MX_COUNTER("app_layer.smtp.cleartext_mail", struct mail_counters, cleartext_mail),
    MX_COUNTER("app_layer.smtp.records", struct mail_counters, records),
    MX_COUNTER("app_layer.smtp.memcap", struct mail_counters, memcap),
    MX_COUNTER("app_layer.smtp.fallback_evicted", struct mail_counters, fallback_evicted),
    {NULL, 0},
};

static const struct mx_counter_desc cert_cache_desc[] = {
    MX_COUNTER("app_layer.tls.cert_cache_hits", struct tls_cert_cache_counters, hits),
    MX_COUNTER("app_layer.tls.cert_cache_misses", struct tls_cert_cache_counters, misses),
    MX_COUNTER("app_layer.tls.cert_cache_evicted", struct tls_cert_cache_counters, evicted),
    MX_COUNTER("app_layer.tls.cert_cache_memcap", struct tls_cert_cache_counters, memcap),
    MX_COUNTER("app_layer.tls.cert_cache_memuse", struct tls_cert_cache_counters, memuse),
    MX_COUNTER("app_layer.tls.cert_cache_entries", struct tls_cert_cache_counters, entries),
    {NULL, 0},
};

static const struct mx_counter_desc tls_mc_desc[] = {
    MX_COUNTER("app_layer.tls.memuse", struct tls_memcap, used),
    MX_COUNTER("app_layer.tls.memcap", struct tls_memcap, fail),
    {NULL, 0},
};

struct mail_ctx *mail_ctx_new(const struct app_config *cfg, struct eve *eve, struct correlate *corr)
{
	struct mail_ctx *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->cfg = *cfg;
	m->eve = eve;
	m->corr = corr;
	mx_hash_key_init(&m->key);
	m->tls_mc.limit = cfg->session_memcap / 4;
	m->certs = tls_cert_cache_new();
	if (m->certs == NULL) {
		free(m);
		return NULL;
	}
	/* Failed TLS attempts of an earlier run come back at load (run/persist.c). */
	correlate_state_handler(corr, STATE_TLS_FAILURE, mail_ctx_restore, m);
	return m;
}

void mail_ctx_free(struct mail_ctx *m)
{
	if (m == NULL)
		return;
	tls_cert_cache_free(m->certs);
	free(m);
}

void mail_ctx_tick(struct mail_ctx *m, uint64_t now_us)
{
	(void)m;
	(void)now_us;
}

void mail_ctx_forget(struct mail_ctx *m)
{
	memset(m->fallback, 0, sizeof(m->fallback));
}

size_t mail_ctx_stats_sources(struct mail_ctx *m, struct stats_source *out, size_t max)
{
	const struct stats_source all[] = {
	    {&m->ctr, mail_counter_desc},
	    {&m->tls_mc, tls_mc_desc},
	    {tls_cert_cache_counters(m->certs), cert_cache_desc},
	};
	size_t n = MX_MIN(max, MX_ARRAY_LEN(all));

	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

/* ---- tls-fallback-cleartext bookkeeping ---- */

static uint32_t pair_hash(const struct mail_ctx *m, const struct mx_addr *a,
			  const struct mx_addr *b)
{
	uint8_t buf[sizeof(a->b) + sizeof(b->b)];

	memcpy(buf, a->b, sizeof(a->b));
	memcpy(buf + sizeof(a->b), b->b, sizeof(b->b));
	return (uint32_t)mx_siphash(&m->key, buf, sizeof(buf)) & (FALLBACK_SLOTS - 1);
}

/*
 * Puts a slot to the state store (correlate_state.h), so that a fallback
 * after a restart is still seen: {"used","ts_us","flow_id","why"}.
 */
static void persist_slot(struct mail_ctx *m, const struct tls_failure_facts *slot)
{
	const struct correlate_config *cc = correlate_config(m->corr);
	char c[64], v[64], value[192];
	struct state_fact f;
	int n;

	memset(&f, 0, sizeof(f));
	f.kind = STATE_TLS_FAILURE;
	snprintf(f.key, sizeof(f.key), "%s %s", mx_addr_str(&slot->cli, c, sizeof(c)),
		 mx_addr_str(&slot->srv, v, sizeof(v)));
	n = snprintf(value, sizeof(value),
		     "{\"used\":%s,\"ts_us\":%llu,\"flow_id\":%llu,\"why\":\"%s\"}",
		     slot->used ? "true" : "false", (unsigned long long)slot->ts_us,
		     (unsigned long long)slot->flow_id, slot->why);
	if (n < 0 || (size_t)n >= sizeof(value))
		return;
	f.value = value;
	f.value_len = (size_t)n;
	f.learned_us = slot->ts_us;
	f.expires_us = slot->ts_us + (uint64_t)cc->fallback_window_s * MX_USEC;
	mx_strlcpy(f.source, "SMTP session whose TLS failed", sizeof(f.source));
	mx_strlcpy(f.trust, "seen", sizeof(f.trust));
	correlate_state_put(m->corr, &f);
}

bool mail_ctx_restore(void *arg, const struct state_fact *f)
{
	struct mail_ctx *m = arg;
	struct tls_failure_facts in;
	char cli[64], srv[64], why[48] = "", used[8] = "";
	unsigned long long ts, flow_id;
	char *value = strndup(f->value, f->value_len);
	int n;

	if (value == NULL)
		return false;
	memset(&in, 0, sizeof(in));
	n = sscanf(value, "{\"used\":%7[a-z],\"ts_us\":%llu,\"flow_id\":%llu,\"why\":\"%47[^\"]\"}",
		   used, &ts, &flow_id, why);
	free(value);
	if (f->kind != STATE_TLS_FAILURE || n != 4 || sscanf(f->key, "%63s %63s", cli, srv) != 2 ||
	    !mx_addr_parse(&in.cli, cli) || !mx_addr_parse(&in.srv, srv))
		return false;
	in.used = strcmp(used, "true") == 0;
	in.ts_us = ts;
	in.flow_id = flow_id;
	mx_strlcpy(in.why, why, sizeof(in.why));
	m->fallback[pair_hash(m, &in.cli, &in.srv)] = in;
	return true;
}

/* Remembers that TLS failed between the session's client and server. */
static void note_tls_failure(struct mail_session *s, const char *why, uint64_t ts)
{
	struct tls_failure_facts *slot = &s->m->fallback[pair_hash(s->m, &s->f->cli, &s->f->srv)];

	if (s->tls_failed_noted)
		return;
	s->tls_failed_noted = true;
	if (slot->used &&
	    (mx_addr_cmp(&slot->cli, &s->f->cli) != 0 || mx_addr_cmp(&slot->srv, &s->f->srv) != 0))
		s->m->ctr.fallback_evicted++;
	slot->used = true;
	slot->cli = s->f->cli;
	slot->srv = s->f->srv;
	slot->ts_us = ts;
	slot->flow_id = s->f->flow_id;
	mx_strlcpy(slot->why, why, sizeof(slot->why));
	persist_slot(s->m, slot);
}

/*
 * The session's facts as correlate takes them: its ends and what the
 * detections read of the SMTP and TLS dissectors, copied now.
 */
static struct mail_facts *facts(struct mail_session *s)
{
	struct mail_facts *mf = &s->mf;
	const struct smtp_info *si = &s->smtp.info;
	const struct tls_info *ti = &s->tls.info;
	struct mail_tls_facts *t = &mf->tls;

	mf->ends =
	    (struct corr_ends){s->f->cli, s->f->srv, s->f->cport, s->f->sport, s->f->flow_id};
	mf->smtp.midstream = si->midstream;
	mf->smtp.starttls_offered = si->starttls_offered;
	mf->smtp.starttls_issued = si->starttls_issued;
	mf->smtp.cleartext_mail = si->cleartext_mail;
	mf->smtp.nrcpt = MX_MIN(si->nrcpt, (unsigned)SMTP_MAX_RCPT);
	for (unsigned i = 0; i < mf->smtp.nrcpt; i++)
		mx_strlcpy(mf->smtp.rcpt_domain[i], si->rcpt[i].domain,
			   sizeof(mf->smtp.rcpt_domain[i]));
	t->server_hello = ti->server_hello;
	t->handshake_complete = ti->handshake_complete;
	t->fatal_alert = ti->fatal_alert;
	t->not_tls[0] = ti->not_tls[0];
	t->not_tls[1] = ti->not_tls[1];
	t->version = ti->version;
	t->client_version = ti->client_version;
	t->downgrade_sentinel = ti->downgrade_sentinel;
	t->cert_visibility = ti->cert_visibility;
	t->cert_count = ti->cert_count;
	t->leaf_spki_ok = ti->chain[0].spki_ok;
	memcpy(t->leaf_spki_sha256, ti->chain[0].spki_sha256, sizeof(t->leaf_spki_sha256));
	mx_strlcpy(t->sni, ti->sni, sizeof(t->sni));
	return mf;
}

/* The request list an entry point of correlate fills. */
static struct alert_list *alerts(struct mail_session *s)
{
	s->m->alerts.render = eve_wants(s->m->eve, EVE_ALERT);
	return &s->m->alerts;
}

/* Writes the alert records of what the entry point decided (lock released). */
static void write_alerts(struct mail_session *s)
{
	alert_out_flush(s->m->eve, s->f, &s->m->alerts);
}

static void check_fallback(struct mail_session *s, uint64_t ts)
{
	struct tls_failure_facts *slot = &s->m->fallback[pair_hash(s->m, &s->f->cli, &s->f->srv)];

	if (s->fallback_checked)
		return;
	s->fallback_checked = true;
	if (!mail_correlate_fallback(s->m->corr, facts(s), slot, ts, alerts(s)))
		return;
	write_alerts(s);
	slot->used = false;
	persist_slot(s->m, slot);
}

/* ---- evidence writers ---- */

static void write_reply_lines(struct evidence *e, const char *key, const struct smtp_event *ev)
{
	if (ev->u.reply.nlines == 0)
		return;
	evidence_list_begin(e, key);
	for (unsigned i = 0; i < ev->u.reply.nlines; i++)
		evidence_list_bytes(e, (const uint8_t *)ev->u.reply.lines[i].p,
				    ev->u.reply.lines[i].len);
	evidence_list_end(e);
}

static void masked_evidence(struct evidence *e, const void *arg)
{
	const struct smtp_event *ev = arg;

	evidence_bytes(e, "masked_keyword", (const uint8_t *)ev->ehlo.masked, ev->ehlo.masked_len);
	evidence_bytes(e, "capability_line", (const uint8_t *)ev->ehlo.masked_line,
		       ev->ehlo.masked_line_len);
	write_reply_lines(e, "ehlo_reply", ev);
}

static void rejected_evidence(struct evidence *e, const void *arg)
{
	const struct smtp_event *ev = arg;

	evidence_u64(e, "reply_code", ev->u.reply.code);
	write_reply_lines(e, "reply", ev);
}

/* The two versions of the bytes of one conflicting overlap. */
struct evasion {
	const uint8_t *kept, *conflicting;
	size_t kept_len, conflicting_len; /* quoted, at most EVASION_QUOTE */
	size_t len;			  /* bytes in conflict */
	const char *direction;
};

static void evasion_evidence(struct evidence *e, const void *arg)
{
	const struct evasion *ev = arg;

	evidence_str(e, "direction", ev->direction);
	evidence_u64(e, "overlap_bytes", ev->len);
	evidence_bytes(e, "kept_bytes", ev->kept, ev->kept_len);
	evidence_bytes(e, "conflicting_bytes", ev->conflicting, ev->conflicting_len);
	evidence_str(e, "followed", "first");
}

static void inject_evidence(struct evidence *e, const void *arg)
{
	const struct smtp_event *ev = arg;

	evidence_u64(e, "injected_bytes", ev->u.inject.len);
	evidence_bytes(e, "first_bytes", ev->u.inject.bytes, ev->u.inject.bytes_len);
}

static void downgrade_evidence(struct evidence *e, const void *arg)
{
	const struct smtp_event *ev = arg;

	evidence_u64(e, "ehlo_reply_code", ev->u.downgrade.ehlo_code);
	evidence_str(e, "fallback", "HELO");
}

static void requiretls_evidence(struct evidence *e, const void *arg)
{
	const struct smtp_event *ev = arg;
	const struct smtp_addr *from = ev->u.trans.from;

	evidence_str(e, "marking", "MAIL FROM ... REQUIRETLS");
	evidence_u64(e, "reply_code", ev->u.trans.code);
	evidence_u64(e, "recipients", ev->u.trans.rcpts);
	evidence_u64(e, "body_bytes", ev->u.trans.body_bytes);
	if (from != NULL && from->domain[0])
		evidence_str(e, "mail_from_domain", from->domain);
}

struct tls_not_evidence {
	const struct tls_event *ev;
};

static void not_tls_evidence(struct evidence *e, const void *arg)
{
	const struct tls_event *ev = arg;

	evidence_u64(e, "injected_bytes", ev->u.not_tls.len);
	evidence_bytes(e, "first_bytes", ev->u.not_tls.bytes, ev->u.not_tls.len);
	evidence_str(e, "observed", "server bytes after 220 to STARTTLS are not TLS records");
}

/* Something the dissectors recognised: correlate raises it once per session. */
static void raise_once(struct mail_session *s, enum mx_kind k, int dir, uint64_t ts,
		       alert_evidence_fn fn, const void *arg)
{
	mail_correlate_seen(s->m->corr, facts(s), k, dir, ts, fn, arg, alerts(s));
	write_alerts(s);
}

/* ---- SMTP events ---- */

static void keep_ehlo_lines(struct mail_session *s, const struct smtp_event *ev)
{
	size_t o = 0;

	for (unsigned i = 0; i < ev->u.reply.nlines; i++) {
		size_t l = MX_MIN(ev->u.reply.lines[i].len, MAIL_EVIDENCE_MAX - o - 2);

		if (o + 2 >= MAIL_EVIDENCE_MAX)
			break;
		memcpy(s->mf.ehlo_lines + o, ev->u.reply.lines[i].p, l);
		o += l;
		s->mf.ehlo_lines[o++] = '\n';
	}
	if (o > 0)
		o--; /* no trailing newline */
	s->mf.ehlo_lines_len = o;
}

static void on_command(struct mail_session *s, const struct smtp_event *ev, uint64_t ts)
{
	const char *rcpt_domain = NULL;

	switch (ev->u.cmd.verb) {
	case SMTP_VERB_RCPT:
		if (ev->u.cmd.addr != NULL && ev->u.cmd.addr->domain[0])
			rcpt_domain = ev->u.cmd.addr->domain;
		if (rcpt_domain != NULL) {
			mail_correlate_rcpt(s->m->corr, facts(s), rcpt_domain, ts, alerts(s));
			write_alerts(s);
		}
		/* fall through */
	case SMTP_VERB_MAIL:
	case SMTP_VERB_DATA:
	case SMTP_VERB_BDAT:
		if (smtp_dir_is_tls(&s->smtp, FLOW_TOSERVER))
			break;
		if (ev->u.cmd.verb == SMTP_VERB_MAIL)
			check_fallback(s, ts);
		mail_correlate_cleartext_mail(s->m->corr, facts(s), rcpt_domain, ts, alerts(s));
		write_alerts(s);
		break;
	default:
		break;
	}
}

static void on_smtp_event(void *ctx, const struct smtp_event *ev)
{
	struct mail_session *s = ctx;
	uint64_t ts = s->f->last_ts;

	if (!mail_trans_event(&s->trans, ev, s->m->cfg.redact_local_parts, &s->m->session_bytes,
			      s->m->cfg.session_memcap))
		s->m->ctr.memcap++;
	switch (ev->type) {
	case SMTP_EV_EHLO_REPLY:
		if (ev->u.reply.code / 100 == 2 && !ev->ehlo.helo &&
		    !smtp_dir_is_tls(&s->smtp, FLOW_TOCLIENT)) {
			keep_ehlo_lines(s, ev);
			if (ev->ehlo.starttls)
				s->m->ctr.starttls_offered++;
			if (ev->ehlo.masked == NULL) {
				mail_correlate_ehlo(s->m->corr, facts(s), ts, alerts(s));
				write_alerts(s);
			}
		}
		break;
	case SMTP_EV_STARTTLS_MASKED:
		keep_ehlo_lines(s, ev);
		raise_once(s, KIND_STARTTLS_MASKED, FLOW_TOCLIENT, ts, masked_evidence, ev);
		break;
	case SMTP_EV_STARTTLS_REPLY:
		s->m->ctr.starttls_issued++;
		if (!ev->starttls.accepted) {
			if (ev->starttls.offered) {
				mail_correlate_rejected(s->m->corr, facts(s), ts, rejected_evidence,
							ev, alerts(s));
				write_alerts(s);
			}
			note_tls_failure(s, "STARTTLS refused", ts);
		}
		break;
	case SMTP_EV_STARTTLS_COMMAND_INJECTION:
		raise_once(s, KIND_STARTTLS_COMMAND_INJECTION, FLOW_TOSERVER, ts, inject_evidence,
			   ev);
		break;
	case SMTP_EV_STARTTLS_RESPONSE_INJECTION:
		s->response_injection_seen = true;
		raise_once(s, KIND_STARTTLS_RESPONSE_INJECTION, FLOW_TOCLIENT, ts, inject_evidence,
			   ev);
		break;
	case SMTP_EV_EHLO_DOWNGRADE:
		raise_once(s, KIND_EHLO_DOWNGRADE, FLOW_TOSERVER, ts, downgrade_evidence, ev);
		break;
	case SMTP_EV_COMMAND:
		on_command(s, ev, ts);
		break;
	case SMTP_EV_TRANSACTION:
		if (ev->u.trans.requiretls && !smtp_dir_is_tls(&s->smtp, FLOW_TOSERVER))
			raise_once(s, KIND_REQUIRETLS_VIOLATION, FLOW_TOSERVER, ts,
				   requiretls_evidence, ev);
		break;
	default:
		break;
	}
}

static const struct smtp_callbacks smtp_cb = {on_smtp_event};

/* ---- TLS events ---- */

/* Frees the kept chain and gives its bytes back to the session memcap. */
static void drop_chain(struct mail_session *s)
{
	for (unsigned i = 0; i < TLS_CHAIN_MAX; i++) {
		free(s->mf.chain_der[i]);
		s->mf.chain_der[i] = NULL;
		s->mf.chain_der_len[i] = 0;
	}
	s->m->session_bytes -= s->chain_bytes;
	s->chain_bytes = 0;
}

/*
 * Keeps a copy of certificate idx of the server's chain until it is
 * judged (PKIX parses it only under an MTA-STS enforce policy). Its size
 * counts against the session memcap; a certificate that does not fit is
 * left out.
 */
static void keep_der(struct mail_session *s, unsigned idx, const uint8_t *der, size_t len)
{
	if (idx == 0)
		drop_chain(s); /* a new Certificate message replaces the chain */
	if (der == NULL || s->m->session_bytes + len > s->m->cfg.session_memcap) {
		s->m->ctr.memcap++;
		return;
	}
	free(s->mf.chain_der[idx]);
	if ((s->mf.chain_der[idx] = malloc(len)) == NULL)
		return;
	memcpy(s->mf.chain_der[idx], der, len);
	s->mf.chain_der_len[idx] = len;
	s->chain_bytes += len;
	s->m->session_bytes += len;
}

static void on_certificate(struct mail_session *s, const struct tls_event *ev, uint64_t ts)
{
	unsigned idx = ev->u.cert.index;
	struct cert_digest *d;

	if (idx >= TLS_CHAIN_MAX)
		return;
	d = &s->mf.certs[idx];
	memset(d, 0, sizeof(*d));
	if (idx + 1 > s->mf.ncerts)
		s->mf.ncerts = idx + 1;
	memcpy(d->cert_sha256, ev->u.cert.sha256, 32);
	memcpy(d->cert_sha512, ev->u.cert.sha512, 64);
	d->spki_ok = ev->u.cert.spki_ok;
	memcpy(d->spki_sha256, ev->u.cert.spki_sha256, 32);
	memcpy(d->spki_sha512, ev->u.cert.spki_sha512, 64);
	mail_correlate_full_match(s->m->corr, facts(s), d, ev->u.cert.der, ev->u.cert.der_len, ts);
	keep_der(s, idx, ev->u.cert.der, ev->u.cert.der_len);
	if (idx != 0)
		return;
	free(s->mf.leaf_der);
	s->mf.leaf_der = NULL;
	if (ev->u.cert.der_len <= MAIL_LEAF_DER_MAX &&
	    (s->mf.leaf_der = malloc(ev->u.cert.der_len)) != NULL) {
		memcpy(s->mf.leaf_der, ev->u.cert.der, ev->u.cert.der_len);
		s->mf.leaf_der_len = ev->u.cert.der_len;
	}
	snprintf(s->mf.cn, sizeof(s->mf.cn), "%s", ev->u.cert.subject_cn);
	s->mf.nsan = 0;
	for (unsigned i = 0; i < ev->u.cert.nsan && s->mf.nsan < MAIL_MAX_SAN; i++)
		snprintf(s->mf.san[s->mf.nsan++], EXPECT_NAME_MAX, "%s", ev->u.cert.san[i]);
	snprintf(s->subject, sizeof(s->subject), "%s", ev->u.cert.subject);
	snprintf(s->issuer, sizeof(s->issuer), "%s", ev->u.cert.issuer);
	snprintf(s->serial, sizeof(s->serial), "%s", ev->u.cert.serial);
	mx_hex(ev->u.cert.sha1, sizeof(ev->u.cert.sha1), s->fingerprint, sizeof(s->fingerprint),
	       ':');
	s->not_before = ev->u.cert.not_before;
	s->not_after = ev->u.cert.not_after;
}

static void check_certificate(struct mail_session *s, uint64_t ts)
{
	if (s->cert_checked || s->tls.info.cert_visibility != TLS_CERT_VISIBLE)
		return;
	s->cert_checked = true;
	cert_check(s->m->corr, facts(s), ts, alerts(s));
	write_alerts(s);
	free(s->mf.leaf_der);
	s->mf.leaf_der = NULL;
	drop_chain(s);
}

static bool looks_like_reply(const uint8_t *b, size_t n)
{
	return n >= 3 && b[0] >= '1' && b[0] <= '5' && b[1] >= '0' && b[1] <= '9' && b[2] >= '0' &&
	       b[2] <= '9';
}

static void on_tls_event(void *ctx, const struct tls_event *ev)
{
	struct mail_session *s = ctx;
	uint64_t ts = s->f->last_ts;

	switch (ev->type) {
	case TLS_EV_SERVER_HELLO:
		if (!ev->u.server_hello.hello_retry) {
			mail_correlate_tls_version(s->m->corr, facts(s), ts, alerts(s));
			write_alerts(s);
		}
		break;
	case TLS_EV_CERTIFICATE:
		if (ev->dir == FLOW_TOCLIENT)
			on_certificate(s, ev, ts);
		break;
	case TLS_EV_CHANGE_CIPHER_SPEC:
		if (ev->dir == FLOW_TOCLIENT)
			check_certificate(s, ts);
		break;
	case TLS_EV_HANDSHAKE_DONE:
		s->m->ctr.tls_handshakes++;
		check_certificate(s, ts);
		break;
	case TLS_EV_ALERT:
		check_certificate(s, ts);
		if (ev->u.alert.level == 2 && !s->tls.info.handshake_complete)
			note_tls_failure(s, "fatal TLS alert during the handshake", ts);
		break;
	case TLS_EV_NOT_TLS:
		if (ev->dir != FLOW_TOCLIENT)
			break;
		if (s->implicit && ev->u.not_tls.records_before == 0 &&
		    looks_like_reply(ev->u.not_tls.bytes, ev->u.not_tls.len)) {
			s->plaintext_banner = true;
			snprintf(s->banner_text, sizeof(s->banner_text), "%.*s",
				 (int)MX_MIN(ev->u.not_tls.len, sizeof(s->banner_text) - 1),
				 (const char *)ev->u.not_tls.bytes);
			break;
		}
		if (!s->implicit && !s->response_injection_seen &&
		    ev->u.not_tls.records_before == 0) {
			s->response_injection_seen = true;
			raise_once(s, KIND_STARTTLS_RESPONSE_INJECTION, FLOW_TOCLIENT, ts,
				   not_tls_evidence, ev);
		}
		break;
	default:
		break;
	}
}

static const struct tls_callbacks tls_cb = {on_tls_event};

/* ---- session ---- */

struct mail_session *mail_session_new(struct mail_ctx *m, struct flow *f, bool implicit_tls)
{
	struct mail_session *s;

	if (m->session_bytes + sizeof(*s) > m->cfg.session_memcap) {
		m->ctr.memcap++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		m->ctr.memcap++;
		return NULL;
	}
	m->session_bytes += sizeof(*s);
	s->m = m;
	s->f = f;
	s->implicit = implicit_tls;
	smtp_init(&s->smtp, implicit_tls);
	if (f->client_guessed)
		smtp_set_midstream(&s->smtp);
	tls_init(&s->tls, m->cfg.tls_max_handshake, &m->tls_mc);
	tls_set_cert_cache(&s->tls, m->certs);
	s->mf.implicit_tls = implicit_tls;
	m->ctr.sessions++;
	if (implicit_tls)
		m->ctr.implicit_tls++;
	return s;
}

/* A TLS record header (handshake, TLS 1.0-1.3 record versions). */
static bool starts_tls(const uint8_t *d, size_t n)
{
	return n >= 3 && d[0] == 0x16 && d[1] == 0x03 && d[2] <= 0x04;
}

/* On a plain SMTP port, a connection that opens with TLS is implicit TLS. */
static void sniff(struct mail_session *s, const uint8_t *data, size_t len)
{
	s->sniffed = true;
	if (s->implicit || !starts_tls(data, len))
		return;
	s->implicit = true;
	s->mf.implicit_tls = true;
	smtp_init(&s->smtp, true);
	s->m->ctr.implicit_tls++;
}

static void feed(struct mail_session *s, int dir, const uint8_t *data, size_t len)
{
	size_t n;
	const uint8_t *p;
	size_t plen;

	if (!s->sniffed)
		sniff(s, data, len);
	n = smtp_feed(&s->smtp, dir, data, len, &smtp_cb, s);
	for (int d = 0; d < 2; d++)
		if ((plen = smtp_take_tls_pending(&s->smtp, d, &p)) > 0)
			tls_feed(&s->tls, d, p, plen, &tls_cb, s);
	if (n < len)
		tls_feed(&s->tls, dir, data + n, len - n, &tls_cb, s);
}

static void alert_app_objects(struct eve *e, const void *arg);

void mail_session_stream(struct mail_ctx *m, struct mail_session *s, struct flow *f, int dir,
			 enum stream_chunk kind, const uint8_t *data, size_t len)
{
	struct eve_app_layer prev;

	s->f = f;
	prev = eve_swap_app_layer(m->eve, (struct eve_app_layer){f, alert_app_objects, s});
	switch (kind) {
	case STREAM_DATA:
		feed(s, dir, data, len);
		break;
	case STREAM_GAP:
		if (smtp_gap(&s->smtp, dir, len, &smtp_cb, s))
			tls_gap(&s->tls, dir, len, &tls_cb, s);
		break;
	case STREAM_OVERLAP_KEPT:
		if (s->overlap_kept_len < EVASION_QUOTE) {
			size_t n = MX_MIN(len, EVASION_QUOTE - s->overlap_kept_len);

			memcpy(s->overlap_kept + s->overlap_kept_len, data, n);
			s->overlap_kept_len += n;
		}
		s->overlap_kept_total += len;
		break;
	case STREAM_OVERLAP_DIFF: {
		/* The same stream bytes twice, different: whichever copy the
		   receiver kept, someone on the path sent the other. */
		struct evasion ev = {s->overlap_kept,
				     data,
				     s->overlap_kept_len,
				     MX_MIN(len, (size_t)EVASION_QUOTE),
				     len,
				     dir == FLOW_TOSERVER ? "to_server" : "to_client"};

		raise_once(s, KIND_STREAM_EVASION, dir, f->last_ts, evasion_evidence, &ev);
		s->overlap_kept_len = s->overlap_kept_total = 0;
		break;
	}
	case STREAM_FIN:
	case STREAM_RST:
		/* After a gap across TLS records completion cannot be judged. */
		if (s->tls.info.client_hello && !s->tls.info.handshake_complete &&
		    !s->tls.info.lost[0] && !s->tls.info.lost[1])
			note_tls_failure(s,
					 kind == STREAM_RST
					     ? "connection reset during TLS handshake"
					     : "connection closed during TLS handshake",
					 f->last_ts);
		break;
	default:
		break;
	}
	eve_swap_app_layer(m->eve, prev);
}

static void write_addr(struct mail_ctx *m, const struct smtp_addr *a, char *buf, size_t len)
{
	mail_addr_text(a, m->cfg.redact_local_parts, buf, len);
}

static void write_tls_object(struct eve *e, const struct mail_session *s, const char *key)
{
	const struct tls_info *ti = &s->tls.info;
	char h[2 * 32 + 1];

	eve_obj_begin(e, key);
	eve_bool(e, "client_hello", ti->client_hello);
	if (ti->sni[0])
		eve_str(e, "sni", ti->sni);
	if (ti->version != 0)
		eve_str(e, "version", tls_version_name(ti->version));
	eve_bool(e, "handshake_complete", ti->handshake_complete);
	eve_bool(e, "certificate_visible", ti->cert_visibility == TLS_CERT_VISIBLE);
	eve_str(e, "certificate",
		ti->cert_visibility == TLS_CERT_VISIBLE
		    ? "visible"
		    : (ti->cert_visibility == TLS_CERT_ENCRYPTED ? "encrypted" : "not-seen"));
	if (ti->cert_visibility == TLS_CERT_VISIBLE && ti->cert_count > 0) {
		eve_list_begin(e, "chain_sha256");
		for (unsigned i = 0; i < MX_MIN(ti->cert_count, (unsigned)TLS_CHAIN_MAX); i++) {
			mx_hex(ti->chain[i].sha256, 32, h, sizeof(h), 0);
			eve_list_str(e, h);
		}
		eve_list_end(e);
		if (ti->chain[0].spki_ok) {
			mx_hex(ti->chain[0].spki_sha256, 32, h, sizeof(h), 0);
			eve_str(e, "spki_sha256", h);
		}
		if (s->mf.cn[0])
			eve_str(e, "subject_cn", s->mf.cn);
		if (s->mf.nsan > 0) {
			eve_list_begin(e, "subjectaltname");
			for (unsigned i = 0; i < s->mf.nsan; i++)
				eve_list_str(e, s->mf.san[i]);
			eve_list_end(e);
		}
	}
	if (ti->alert_seen) {
		eve_str(e, "alert",
			ti->alert_encrypted ? "encrypted" : tls_alert_name(ti->alert_desc));
		eve_str(e, "alert_from", ti->alert_dir == FLOW_TOSERVER ? "client" : "server");
	}
	if (ti->not_tls[FLOW_TOCLIENT])
		eve_bool(e, "server_not_tls", true);
	eve_obj_end(e);
}

static void write_caps(struct eve *e, uint32_t caps)
{
	if (caps == 0)
		return;
	eve_list_begin(e, "capabilities");
	for (unsigned b = 0; b < 32; b++) {
		const char *n = (caps & (1u << b)) ? smtp_cap_name(1u << b) : NULL;

		if (n != NULL)
			eve_list_str(e, n);
	}
	eve_list_end(e);
}

/*
 * With home-net set: which way the session goes. outbound: the client is
 * ours (home-net or mail-relays) and the server is not; inbound: the
 * server is ours and the client is not; internal: both; external: neither.
 */
static const char *session_direction(const struct mail_ctx *m, const struct flow *f)
{
	bool cli = mx_netset_contains(&m->cfg.home_net, &f->cli) ||
		   mx_netset_contains(&m->cfg.mail_relays, &f->cli);
	bool srv = mx_netset_contains(&m->cfg.home_net, &f->srv) ||
		   mx_netset_contains(&m->cfg.mail_relays, &f->srv);

	if (cli)
		return srv ? "internal" : "outbound";
	return srv ? "inbound" : "external";
}

/*
 * The destination domains: the recipients' domains where RCPT TO was seen
 * in cleartext, else the mail domains of the MX hosts the server address
 * is known as (the expectation store's address -> MX host -> domain).
 */
static void write_destination(struct eve *e, const struct mail_session *s)
{
	const struct smtp_info *si = &s->smtp.info;
	char seen[MAIL_MAX_TARGETS][EXPECT_NAME_MAX];
	size_t n = 0;

	for (unsigned i = 0; i < si->nrcpt && n < MAIL_MAX_TARGETS; i++) {
		bool dup = false;

		if (si->rcpt[i].null_path || !si->rcpt[i].domain[0])
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = strcasecmp(seen[j], si->rcpt[i].domain) == 0;
		if (!dup)
			snprintf(seen[n++], EXPECT_NAME_MAX, "%s", si->rcpt[i].domain);
	}
	if (n > 0) {
		eve_list_begin(e, "destination_domains");
		for (size_t i = 0; i < n; i++) {
			for (char *p = seen[i]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			eve_list_str(e, seen[i]);
		}
		eve_list_end(e);
		eve_str(e, "destination_from", "rcpt");
		return;
	}
	if (s->mf.ndomains == 0)
		return;
	eve_list_begin(e, "destination_domains");
	for (size_t i = 0; i < s->mf.ndomains; i++)
		eve_list_str(e, s->mf.domains[i]);
	eve_list_end(e);
	eve_str(e, "destination_from", "mx");
}

/* The policies behind the verdicts, as the compliance report needs them. */
static void write_policy(struct eve *e, const struct mail_policy_seen *ps)
{
	char buf[2 * EXPECT_TLSA_DATA_MAX + 16];

	if (!ps->dane && !ps->sts)
		return;
	eve_obj_begin(e, "policy");
	if (ps->dane) {
		eve_obj_begin(e, "dane");
		eve_str(e, "source", ps->dane_source != NULL ? ps->dane_source : "dane");
		eve_str(e, "trust", expect_trust_name(ps->dane_trust));
		if (ps->dane_host[0])
			eve_str(e, "mx_host", ps->dane_host);
		if (ps->ntlsa > 0) {
			eve_list_begin(e, "tlsa");
			for (size_t i = 0; i < ps->ntlsa; i++) {
				alert_format_tlsa(&ps->tlsa[i], buf, sizeof(buf));
				eve_list_str(e, buf);
			}
			eve_list_end(e);
		}
		eve_obj_end(e);
	}
	if (ps->sts) {
		eve_obj_begin(e, "mta-sts");
		eve_str(e, "mode", mtasts_mode_name(ps->sts_mode));
		eve_str(e, "policy_domain", ps->sts_domain);
		eve_u64(e, "max_age", ps->sts_max_age);
		eve_list_begin(e, "mx");
		for (size_t i = 0; i < ps->sts_nmx; i++)
			eve_list_str(e, ps->sts_mx[i]);
		eve_list_end(e);
		eve_obj_end(e);
	}
	eve_obj_end(e);
}

static void write_smtp_record(struct mail_ctx *m, struct mail_session *s)
{
	struct eve *e = m->eve;
	const struct smtp_info *si = &s->smtp.info;
	char buf[SMTP_LOCAL_MAX + SMTP_DOMAIN_MAX + 8];

	eve_begin(e, EVE_SMTP, s->f->last_ts, s->f, FLOW_TOSERVER, "smtp");
	eve_obj_begin(e, "smtp");
	if (si->helo_name[0])
		eve_str(e, "helo", si->helo_name);
	if (si->nfrom > 0) {
		write_addr(m, &si->from[0], buf, sizeof(buf));
		eve_str(e, "mail_from", buf);
	}
	/* Suricata's meaning: the recipients of the first mail. */
	if (!mail_trans_write_first_rcpts(s->trans, e, "rcpt_to") && si->nrcpt > 0) {
		eve_list_begin(e, "rcpt_to");
		for (unsigned i = 0; i < si->nrcpt; i++) {
			write_addr(m, &si->rcpt[i], buf, sizeof(buf));
			eve_list_str(e, buf);
		}
		eve_list_end(e);
	}
	if (si->banner_host[0])
		eve_str(e, "banner", si->banner_host);
	if (si->greeting_code)
		eve_u64(e, "greeting_code", si->greeting_code);
	if (si->helo_verb != SMTP_VERB_NONE)
		eve_str(e, "helo_verb", smtp_verb_name(si->helo_verb));
	write_caps(e, si->caps);
	eve_obj_begin(e, "starttls");
	eve_bool(e, "offered", si->starttls_offered);
	eve_bool(e, "masked", si->starttls_masked);
	if (si->starttls_masked)
		eve_str(e, "masked_keyword", si->masked_keyword);
	eve_bool(e, "issued", si->starttls_issued);
	if (si->starttls_code)
		eve_u64(e, "reply_code", si->starttls_code);
	eve_obj_end(e);
	eve_bool(e, "implicit_tls", s->implicit);
	if (s->plaintext_banner) {
		eve_bool(e, "plaintext_banner", true);
		eve_str(e, "plaintext_greeting", s->banner_text);
	}
	if (s->tls.info.client_hello || s->tls.info.server_hello || s->tls.info.not_tls[1])
		write_tls_object(e, s, "tls");
	eve_bool(e, "cleartext_transaction", si->cleartext_mail);
	mail_trans_write(s->trans, e);
	if (si->requiretls)
		eve_bool(e, "requiretls", true);
	if (si->tls_required != SMTP_TLSREQ_NONE)
		eve_str(e, "tls_required_header",
			si->tls_required == SMTP_TLSREQ_NO ? "No" : "other");
	if (si->auth_mech[0]) {
		eve_obj_begin(e, "auth");
		eve_str(e, "mechanism", si->auth_mech);
		eve_bool(e, "cleartext", true);
		if (si->auth_code)
			eve_u64(e, "reply_code", si->auth_code);
		eve_obj_end(e);
	}
	if (si->ehlo_downgrade)
		eve_bool(e, "ehlo_downgrade", true);
	if (si->command_injection)
		eve_u64(e, "command_injection_bytes", si->command_injection);
	if (si->response_injection)
		eve_u64(e, "response_injection_bytes", si->response_injection);
	eve_bool(e, "midstream", si->midstream);
	eve_u64(e, "commands", si->commands);
	eve_u64(e, "replies", si->replies);
	if (si->overlong_lines[0] + si->overlong_lines[1])
		eve_u64(e, "overlong_lines", si->overlong_lines[0] + si->overlong_lines[1]);
	if (si->gaps[0] + si->gaps[1])
		eve_u64(e, "gaps", si->gaps[0] + si->gaps[1]);
	eve_obj_begin(e, "verdict");
	eve_str(e, "dane", verdict_name(s->mf.dane));
	eve_str(e, "mta-sts", verdict_name(s->mf.sts));
	eve_obj_end(e);
	if (s->mf.nhosts > 0) {
		eve_list_begin(e, "mx_hosts");
		for (size_t i = 0; i < s->mf.nhosts; i++)
			eve_list_str(e, s->mf.hosts[i]);
		eve_list_end(e);
	}
	if (m->cfg.home_net.n > 0) {
		eve_str(e, "direction", session_direction(m, s->f));
		write_destination(e, s);
		write_policy(e, &s->mf.policy);
	}
	eve_obj_end(e);
	eve_commit(e);
	m->ctr.records++;
}

/* A certificate time as Suricata's tls.notbefore/notafter: 2026-11-29T15:32:35 (UTC). */
static void eve_cert_time(struct eve *e, const char *key, int64_t t)
{
	time_t sec = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 2999 ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return;
	eve_str(e, key, buf);
}

static void write_ja3(struct eve *e, const char *key, const char *hash, const char *str)
{
	if (hash[0] == '\0')
		return;
	eve_obj_begin(e, key);
	eve_str(e, "hash", hash);
	eve_str(e, "string", str);
	eve_obj_end(e);
}

/* Suricata's tls object: of the tls record, and of alerts on a session that saw TLS. */
static void write_suricata_tls(struct eve *e, const struct mail_session *s)
{
	const struct tls_info *ti = &s->tls.info;

	eve_obj_begin(e, "tls");
	if (ti->sni[0])
		eve_str(e, "sni", ti->sni);
	eve_str(e, "version", tls_version_name(ti->version));
	if (ti->cert_visibility == TLS_CERT_VISIBLE) {
		if (s->subject[0])
			eve_str(e, "subject", s->subject);
		if (s->issuer[0])
			eve_str(e, "issuerdn", s->issuer);
		if (s->serial[0])
			eve_str(e, "serial", s->serial);
		if (s->fingerprint[0])
			eve_str(e, "fingerprint", s->fingerprint);
		if (s->not_before != 0)
			eve_cert_time(e, "notbefore", s->not_before);
		if (s->not_after != 0)
			eve_cert_time(e, "notafter", s->not_after);
		if (s->mf.nsan > 0) {
			eve_list_begin(e, "subjectaltname");
			for (unsigned i = 0; i < s->mf.nsan; i++)
				eve_list_str(e, s->mf.san[i]);
			eve_list_end(e);
		}
	}
	write_ja3(e, "ja3", ti->ja3_hash, ti->ja3);
	write_ja3(e, "ja3s", ti->ja3s_hash, ti->ja3s);
	eve_str(e, "from_proto", s->implicit ? "smtps" : "smtp");
	eve_obj_end(e);
}

static void write_tls_record(struct mail_ctx *m, struct mail_session *s)
{
	struct eve *e = m->eve;

	eve_begin(e, EVE_TLS, s->f->last_ts, s->f, FLOW_TOSERVER, "tls");
	write_suricata_tls(e, s);
	write_tls_object(e, s, "mxsentry");
	eve_commit(e);
}

/* The app-layer objects of an alert on this session, as Suricata's: smtp
   {helo, mail_from, rcpt_to} and, once TLS was seen, tls. */
static void alert_app_objects(struct eve *e, const void *arg)
{
	const struct mail_session *s = arg;
	const struct smtp_info *si = &s->smtp.info;
	char buf[SMTP_LOCAL_MAX + SMTP_DOMAIN_MAX + 8];

	eve_obj_begin(e, "smtp");
	if (si->helo_name[0])
		eve_str(e, "helo", si->helo_name);
	if (si->nfrom > 0) {
		write_addr(s->m, &si->from[0], buf, sizeof(buf));
		eve_str(e, "mail_from", buf);
	}
	if (si->nrcpt > 0) {
		eve_list_begin(e, "rcpt_to");
		for (unsigned i = 0; i < si->nrcpt; i++) {
			write_addr(s->m, &si->rcpt[i], buf, sizeof(buf));
			eve_list_str(e, buf);
		}
		eve_list_end(e);
	}
	eve_obj_end(e);
	if (s->tls.info.client_hello || s->tls.info.server_hello)
		write_suricata_tls(e, s);
}

void mail_session_end(struct mail_ctx *m, struct mail_session *s, struct flow *f)
{
	uint64_t ts = f->last_ts;
	const char *domain;
	struct eve_app_layer prev;

	s->f = f;
	prev = eve_swap_app_layer(m->eve, (struct eve_app_layer){f, alert_app_objects, s});
	smtp_finish(&s->smtp, &smtp_cb, s);
	if (s->tls.info.client_hello && !s->tls.info.handshake_complete && !s->implicit &&
	    s->smtp.info.starttls_code == 220 && !s->tls.info.lost[0] && !s->tls.info.lost[1])
		note_tls_failure(s, "TLS handshake never completed", ts);
	check_certificate(s, ts);
	mail_correlate_end(m->corr, facts(s), ts);
	if (s->smtp.info.cleartext_mail)
		m->ctr.cleartext_mail++;
	if (eve_wants(m->eve, EVE_SMTP))
		write_smtp_record(m, s);
	if (eve_wants(m->eve, EVE_TLS) && (s->tls.info.client_hello || s->tls.info.server_hello))
		write_tls_record(m, s);
	domain = s->smtp.info.nrcpt > 0 ? s->smtp.info.rcpt[0].domain
					: (s->mf.ndomains ? s->mf.domains[0] : NULL);
	correlate_tally_add(m->corr, &f->srv, domain,
			    s->tls.info.handshake_complete || s->tls.info.server_hello,
			    s->smtp.info.cleartext_mail, s->mf.dane, s->mf.sts);
	eve_swap_app_layer(m->eve, prev);
	tls_free(&s->tls);
	free(s->mf.leaf_der);
	mail_trans_free(s->trans, &m->session_bytes);
	drop_chain(s);
	m->session_bytes -= sizeof(*s);
	free(s);
}

size_t mail_ctx_memuse(const struct mail_ctx *m)
{
	return m->session_bytes + m->tls_mc.used;
}
