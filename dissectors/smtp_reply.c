/*
 * smtp_reply.c - server reply lines: single and multi-line replies, the
 * greeting, EHLO capabilities (with the masked-STARTTLS rule), and what
 * each reply means for the command it answers (STARTTLS 220 switches to
 * TLS, 354 opens the body, the end of a message closes the transaction).
 */
#include "smtp_int.h"

#include <string.h>

struct cap_def {
	const char *name;
	uint32_t bit;
};

/* EHLO keywords (IANA "SMTP Service Extensions" and common private ones). */
static const struct cap_def caps[] = {
    {"STARTTLS", SMTP_CAP_STARTTLS},
    {"PIPELINING", SMTP_CAP_PIPELINING},
    {"CHUNKING", SMTP_CAP_CHUNKING},
    {"SIZE", SMTP_CAP_SIZE},
    {"8BITMIME", SMTP_CAP_8BITMIME},
    {"SMTPUTF8", SMTP_CAP_SMTPUTF8},
    {"REQUIRETLS", SMTP_CAP_REQUIRETLS},
    {"AUTH", SMTP_CAP_AUTH},
    {"DSN", SMTP_CAP_DSN},
    {"ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCEDSTATUSCODES},
    {"BINARYMIME", SMTP_CAP_BINARYMIME},
    {"DELIVERBY", SMTP_CAP_DELIVERBY},
    {"ETRN", SMTP_CAP_ETRN},
    {"VRFY", SMTP_CAP_VRFY},
    {"XCLIENT", SMTP_CAP_XCLIENT},
    {"XFORWARD", SMTP_CAP_XFORWARD},
    {"PRDR", SMTP_CAP_PRDR},
    {"MT-PRIORITY", SMTP_CAP_MTPRIORITY},
    {"LIMITS", SMTP_CAP_LIMITS},
    {"EXPN", SMTP_CAP_OTHER},
    {"HELP", SMTP_CAP_OTHER},
    {"ONEX", SMTP_CAP_OTHER},
    {"VERB", SMTP_CAP_OTHER},
    {"TURN", SMTP_CAP_OTHER},
    {"ATRN", SMTP_CAP_OTHER},
    {"SEND", SMTP_CAP_OTHER},
    {"SOML", SMTP_CAP_OTHER},
    {"SAML", SMTP_CAP_OTHER},
    {"BURL", SMTP_CAP_OTHER},
    {"CHECKPOINT", SMTP_CAP_OTHER},
    {"CONNEG", SMTP_CAP_OTHER},
    {"CONPERM", SMTP_CAP_OTHER},
    {"FUTURERELEASE", SMTP_CAP_OTHER},
    {"MTRK", SMTP_CAP_OTHER},
    {"NO-SOLICITING", SMTP_CAP_OTHER},
    {"RRVS", SMTP_CAP_OTHER},
    {"SUBMITTER", SMTP_CAP_OTHER},
    {"UTF8SMTP", SMTP_CAP_OTHER},
    {"XUSR", SMTP_CAP_OTHER},
    {"XEXCH50", SMTP_CAP_OTHER},
    {"X-EXPS", SMTP_CAP_OTHER},
    {"X-LINK2STATE", SMTP_CAP_OTHER},
    {"XSHADOW", SMTP_CAP_OTHER},
    {"XRDST", SMTP_CAP_OTHER},
    {"XOORG", SMTP_CAP_OTHER},
    {"XVERP", SMTP_CAP_OTHER},
    {"X-ANONYMOUSTLS", SMTP_CAP_OTHER},
    {"X-RCPTLIMIT", SMTP_CAP_OTHER},
    {"XEXPS", SMTP_CAP_OTHER},
    {"XADR", SMTP_CAP_OTHER},
    {"XSTA", SMTP_CAP_OTHER},
    {"XGEN", SMTP_CAP_OTHER},
    {"XQUE", SMTP_CAP_OTHER},
};

static uint8_t upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

static bool ieq(const uint8_t *p, size_t len, const char *s)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (upper(p[i]) != (uint8_t)s[i])
			return false;
	return true;
}

/* Index in caps[] of a keyword, or -1. */
static int cap_find(const uint8_t *kw, size_t len)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(caps); i++)
		if (ieq(kw, len, caps[i].name))
			return (int)i;
	return -1;
}

const char *smtp_cap_name(uint32_t bit)
{
	if (bit == SMTP_CAP_OTHER)
		return "other";
	for (size_t i = 0; i < MX_ARRAY_LEN(caps); i++)
		if (caps[i].bit == bit)
			return caps[i].name;
	return NULL;
}

static bool mask_char(uint8_t c)
{
	return c == 'X' || c == '*' || c == '#' || c == '?' || c == '_' || c == '.';
}

/*
 * The masked-STARTTLS rule. Middleboxes that hide STARTTLS rewrite the
 * keyword in place, keeping its 8 bytes so TCP sequence numbers stay
 * intact (Cisco's "XXXXXXXA"). So a keyword is a masked STARTTLS when:
 *  - it is exactly 8 bytes long, printable, not STARTTLS itself and not a
 *    known extension keyword (CHUNKING, 8BITMIME, SMTPUTF8, XFORWARD are
 *    the 8-byte ones), and
 *  - every position either keeps the letter of STARTTLS or holds a mask
 *    character (X * # ? _ .), with at least one mask ("XXXXTTLS",
 *    "STARTTLX", "XXXXXXXX"); or it is mostly masks: 5 or more of the 8
 *    ("XXXXXXXA"); or it keeps 6 or more letters of STARTTLS in place
 *    (a one- or two-byte rewrite such as "STARTTLZ").
 * Comparison ignores case. An unknown 8-byte keyword that shares little
 * with STARTTLS and has few mask characters is just an unknown extension.
 */
bool smtp_keyword_is_masked_starttls(const char *kw, size_t len)
{
	static const char ref[] = "STARTTLS";
	unsigned same = 0, masks = 0;

	if (len != 8 || cap_find((const uint8_t *)kw, len) >= 0)
		return false;
	for (size_t i = 0; i < 8; i++) {
		uint8_t c = upper((uint8_t)kw[i]);

		if (c <= 0x20 || c >= 0x7f)
			return false;
		if (c == (uint8_t)ref[i])
			same++;
		else if (mask_char(c))
			masks++;
	}
	if (same == 8)
		return false;
	return (masks >= 1 && same + masks == 8) || masks >= 5 || same >= 6;
}

static size_t tok(const uint8_t *p, size_t len, size_t i, bool stop_eq)
{
	while (i < len && p[i] != ' ' && p[i] != '\t' && !(stop_eq && p[i] == '='))
		i++;
	return i;
}

static uint64_t parse_u64(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return UINT64_MAX;
		v = v * 10 + d;
	}
	return v;
}

/* One capability line of a 250 EHLO reply: text after "250-". */
static void ehlo_capability(struct smtp_state *s, const uint8_t *line, size_t len)
{
	const uint8_t *t = line + 4;
	size_t tl = len - 4;
	size_t ke = tok(t, tl, 0, true);
	int idx;

	if (ke == 0)
		return;
	idx = cap_find(t, ke);
	if (idx >= 0) {
		uint32_t bit = caps[idx].bit;

		s->ehlo_caps |= bit;
		if (bit == SMTP_CAP_AUTH) {
			size_t i = ke;

			while (i < tl) {
				size_t e;

				while (i < tl && (t[i] == ' ' || t[i] == '\t' || t[i] == '='))
					i++;
				e = tok(t, tl, i, false);
				if (e > i)
					s->ehlo_auth |= smtp_auth_lookup(t + i, e - i);
				i = e;
			}
		} else if (bit == SMTP_CAP_SIZE && ke < tl) {
			size_t i = ke + 1;

			while (i < tl && t[i] == ' ')
				i++;
			s->ehlo_size = parse_u64(t + i, tl - i);
		}
		return;
	}
	if (smtp_keyword_is_masked_starttls((const char *)t, ke)) {
		if (!s->ehlo_masked) {
			s->ehlo_masked = true;
			memcpy(s->ehlo_masked_kw, t, 8);
			s->ehlo_masked_kw[8] = '\0';
			s->ehlo_masked_line_len = MX_MIN(len, sizeof(s->ehlo_masked_line) - 1);
			memcpy(s->ehlo_masked_line, line, s->ehlo_masked_line_len);
			s->ehlo_masked_line[s->ehlo_masked_line_len] = '\0';
		}
		return;
	}
	s->ehlo_caps |= SMTP_CAP_OTHER;
}

/* Keeps one line of the reply being assembled (bounded). */
static void reply_keep(struct smtp_state *s, const uint8_t *line, size_t len)
{
	if (s->reply_nlines >= SMTP_REPLY_LINES || s->reply_used + len > SMTP_REPLY_MAX) {
		s->reply_dropped++;
		return;
	}
	memcpy(s->reply_buf + s->reply_used, line, len);
	s->reply_lines[s->reply_nlines].p = s->reply_buf + s->reply_used;
	s->reply_lines[s->reply_nlines].len = len;
	s->reply_used += len;
	s->reply_nlines++;
}

static void reply_event(struct smtp_state *s, struct smtp_event *ev, enum smtp_event_type type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->dir = SMTP_DIR_TOCLIENT;
	ev->u.reply.code = s->reply_code;
	ev->u.reply.verb = (enum smtp_verb)(s->reply_verb & ~SMTP_QFLAG_LAST);
	ev->u.reply.seq = s->reply_seq;
	ev->u.reply.lines = s->reply_lines;
	ev->u.reply.nlines = s->reply_nlines;
	ev->u.reply.lines_dropped = s->reply_dropped;
	ev->u.reply.code_mismatch = s->reply_mismatch;
}

static void greeting_done(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	struct smtp_event ev;

	s->greeting_pending = false;
	s->info.greeting_code = s->reply_code;
	if (s->reply_nlines > 0 && s->reply_lines[0].len > 4) {
		const uint8_t *t = (const uint8_t *)s->reply_lines[0].p + 4;
		size_t tl = s->reply_lines[0].len - 4;

		smtp_copy_clean(s->info.banner_host, sizeof(s->info.banner_host), t,
				tok(t, tl, 0, false), false);
	}
	reply_event(s, &ev, SMTP_EV_GREETING);
	smtp_emit(r, &ev);
}

static void ehlo_done(struct smtp_run *r, bool helo)
{
	struct smtp_state *s = r->s;
	struct smtp_event ev;
	bool ok = s->reply_code == 250;

	s->info.ehlo_code = s->reply_code;
	s->last_ehlo_starttls = false;
	reply_event(s, &ev, SMTP_EV_EHLO_REPLY);
	ev.ehlo.helo = helo;
	if (!helo && ok) {
		s->info.caps = s->ehlo_caps;
		s->info.auth_mechs = s->ehlo_auth;
		s->info.size_limit = s->ehlo_size;
		s->last_ehlo_starttls = (s->ehlo_caps & SMTP_CAP_STARTTLS) != 0;
		if (s->last_ehlo_starttls)
			s->info.starttls_offered = true;
		ev.ehlo.caps = s->ehlo_caps;
		ev.ehlo.auth_mechs = s->ehlo_auth;
		ev.ehlo.size_limit = s->ehlo_size;
		ev.ehlo.starttls = s->last_ehlo_starttls;
		if (s->ehlo_masked) {
			if (!s->info.starttls_masked)
				memcpy(s->info.masked_keyword, s->ehlo_masked_kw, 9);
			s->info.starttls_masked = true;
			ev.ehlo.masked = s->ehlo_masked_kw;
			ev.ehlo.masked_len = 8;
			ev.ehlo.masked_line = s->ehlo_masked_line;
			ev.ehlo.masked_line_len = s->ehlo_masked_line_len;
		}
	} else if (!helo && s->reply_code >= 400) {
		s->ehlo_refused = true;
		s->ehlo_refused_code = s->reply_code;
	}
	smtp_emit(r, &ev);
	if (ev.ehlo.masked != NULL) {
		ev.type = SMTP_EV_STARTTLS_MASKED;
		smtp_emit(r, &ev);
	}
}

static void transaction_done(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	struct smtp_event ev;

	if (s->reply_code >= 200 && s->reply_code < 300)
		s->info.messages++;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_TRANSACTION;
	ev.dir = SMTP_DIR_TOCLIENT;
	ev.u.trans.code = s->reply_code;
	if (s->snap_len > 0) {
		const struct smtp_trans_snap *t = &s->snaps[s->snap_head];

		ev.u.trans.bdat = t->bdat;
		ev.u.trans.body_bytes = t->bytes;
		ev.u.trans.rcpts = t->rcpts;
		ev.u.trans.requiretls = t->requiretls;
		ev.u.trans.tlsreq = (enum smtp_tlsreq)t->tlsreq;
		if (t->from >= 0 && (unsigned)t->from < s->info.nfrom)
			ev.u.trans.from = &s->info.from[t->from];
		s->snap_head = (s->snap_head + 1) % SMTP_SNAP_MAX;
		s->snap_len--;
	}
	smtp_emit(r, &ev);
}

static void auth_done(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	struct smtp_event ev;

	s->auth_open = false;
	s->info.auth_code = s->reply_code;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_AUTH;
	ev.dir = SMTP_DIR_TOCLIENT;
	ev.u.auth.mech = s->auth_mech;
	ev.u.auth.mech_bit = s->auth_bit;
	ev.u.auth.code = s->reply_code;
	ev.u.auth.sasl_lines = s->auth_sasl;
	smtp_emit(r, &ev);
}

static void set_addr_code(struct smtp_addr *list, unsigned n, uint32_t seq, uint16_t code)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i].seq == seq && list[i].code == 0)
			list[i].code = code;
}

/* A reply that answers no known command. */
static void reply_unmatched(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	uint16_t code = s->reply_code;
	struct smtp_event ev;

	s->info.unmatched_replies++;
	if (s->cmode == SMTP_C_DATA) {
		/* The body is open for us, yet the server answered: it took an
		 * end of data that is not CRLF.CRLF, or the end was in a gap. */
		if (!s->desync && !s->gap_in_body) {
			s->info.body_anomalies++;
			memset(&ev, 0, sizeof(ev));
			ev.type = SMTP_EV_BODY_ANOMALY;
			ev.dir = SMTP_DIR_TOCLIENT;
			ev.u.anomaly.kind = SMTP_ANOM_SERVER_ENDED;
			smtp_emit(r, &ev);
		}
		smtp_msg_end(r);
		transaction_done(r);
		s->cmode = SMTP_C_CMD;
		s->line[SMTP_DIR_TOSERVER].len = 0;
		s->line[SMTP_DIR_TOSERVER].total = 0;
		smtp_desync(s);
		return;
	}
	if (!s->desync)
		return;
	/* Pairing is lost: only replies whose code can mean one thing act. */
	if (s->cmode == SMTP_C_HOLD && s->wait_verb == SMTP_VERB_DATA) {
		smtp_hold_decide(r, code == 354);
	} else if (code == 354 && s->cmode == SMTP_C_CMD && s->line[SMTP_DIR_TOSERVER].total == 0) {
		s->cmode = SMTP_C_DATA;
		smtp_msg_begin(s, false);
	} else if (code == 334 && s->cmode == SMTP_C_CMD) {
		s->sasl_next = true;
	}
}

static void reply_done(struct smtp_run *r)
{
	struct smtp_state *s = r->s;
	uint8_t qverb = s->reply_verb;
	enum smtp_verb verb = (enum smtp_verb)(qverb & ~SMTP_QFLAG_LAST);
	uint16_t code = s->reply_code;
	struct smtp_event ev;
	uint8_t v;
	uint32_t seq;

	s->in_reply = false;
	s->info.replies++;
	if (verb == SMTP_VERB_GREETING) {
		greeting_done(r);
		s->reply_after_client = true;
		return;
	}
	if (verb != SMTP_VERB_NONE)
		smtp_q_pop(s, &v, &seq);
	reply_event(s, &ev, SMTP_EV_REPLY);
	smtp_emit(r, &ev);
	s->reply_after_client = true;

	switch (verb) {
	case SMTP_VERB_NONE:
		reply_unmatched(r);
		break;
	case SMTP_VERB_EHLO:
	case SMTP_VERB_LHLO:
		ehlo_done(r, false);
		break;
	case SMTP_VERB_HELO:
		ehlo_done(r, true);
		break;
	case SMTP_VERB_STARTTLS:
		s->info.starttls_code = code;
		reply_event(s, &ev, SMTP_EV_STARTTLS_REPLY);
		ev.starttls.offered = s->last_ehlo_starttls;
		ev.starttls.accepted = code == 220;
		smtp_emit(r, &ev);
		if (code == 220)
			smtp_starttls_accepted(r);
		else
			smtp_hold_decide(r, false);
		break;
	case SMTP_VERB_DATA:
		if (s->cmode == SMTP_C_HOLD) {
			smtp_hold_decide(r, code == 354);
		} else if (s->cmode == SMTP_C_DATA && s->data_assumed) {
			s->data_assumed = false;
			if (code != 354) {
				s->cmode = SMTP_C_CMD;
				s->line[SMTP_DIR_TOSERVER].len = 0;
				s->line[SMTP_DIR_TOSERVER].total = 0;
				smtp_desync(s);
			}
		}
		break;
	case SMTP_VERB_DATA_END:
		transaction_done(r);
		break;
	case SMTP_VERB_BDAT:
		if (qverb & SMTP_QFLAG_LAST)
			transaction_done(r);
		break;
	case SMTP_VERB_MAIL:
		set_addr_code(s->info.from, s->info.nfrom, s->reply_seq, code);
		break;
	case SMTP_VERB_RCPT:
		set_addr_code(s->info.rcpt, s->info.nrcpt, s->reply_seq, code);
		break;
	case SMTP_VERB_AUTH:
	case SMTP_VERB_SASL:
		if (code != 334 && s->auth_open)
			auth_done(r);
		break;
	default:
		break;
	}
}

/* Starts assembling a reply: which command does it answer? */
static void reply_start(struct smtp_state *s, uint16_t code)
{
	uint8_t v = SMTP_VERB_NONE;
	uint32_t seq = 0;

	s->in_reply = true;
	s->reply_code = code;
	s->reply_mismatch = false;
	s->reply_used = 0;
	s->reply_nlines = 0;
	s->reply_dropped = 0;
	/* A first reply that cannot be a greeting (RFC 5321 4.2: 220, or 421/554
	   refusing service) while a command waits answers that command: the
	   greeting was not captured. */
	if (s->greeting_pending && code != 220 && code != 421 && code != 554 &&
	    smtp_q_peek(s, &v, &seq))
		s->greeting_pending = false;
	if (s->greeting_pending)
		v = SMTP_VERB_GREETING;
	else if (!s->desync && !smtp_q_peek(s, &v, &seq))
		v = SMTP_VERB_NONE;
	s->reply_verb = v;
	s->reply_seq = seq;
	if (v == SMTP_VERB_EHLO || v == SMTP_VERB_LHLO) {
		s->ehlo_caps = 0;
		s->ehlo_auth = 0;
		s->ehlo_size = 0;
		s->ehlo_masked = false;
	}
}

void smtp_server_line(struct smtp_run *r, const uint8_t *line, size_t len, uint64_t total,
		      bool truncated)
{
	struct smtp_state *s = r->s;
	uint16_t code;
	bool last;

	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
	    line[2] < '0' || line[2] > '9' || (len > 3 && line[3] != ' ' && line[3] != '-')) {
		s->info.bad_lines[SMTP_DIR_TOCLIENT]++;
		return;
	}
	if (total > SMTP_REPLY_LIMIT)
		smtp_overlong(r, SMTP_DIR_TOCLIENT, total, SMTP_REPLY_LIMIT, truncated, true);
	code = (uint16_t)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
	last = len == 3 || line[3] == ' ';
	if (!s->in_reply)
		reply_start(s, code);
	else if (code != s->reply_code)
		s->reply_mismatch = true;
	if ((s->reply_verb == SMTP_VERB_EHLO || s->reply_verb == SMTP_VERB_LHLO) &&
	    s->reply_code == 250 && s->reply_nlines + s->reply_dropped > 0 && len > 4)
		ehlo_capability(s, line, len);
	reply_keep(s, line, len);
	if (last)
		reply_done(r);
}
