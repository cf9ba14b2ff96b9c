/*
 * smtp_cmd.c - client command lines: the verb, its argument, MAIL FROM /
 * RCPT TO paths and parameters (REQUIRETLS), AUTH (the mechanism only:
 * credentials are never copied into an event or the record), BDAT sizes,
 * and the mode changes commands cause (STARTTLS, DATA, BDAT).
 */
#include "smtp_int.h"

#include <string.h>

struct verb_def {
	const char *name;
	enum smtp_verb verb;
};

static const struct verb_def verbs[] = {
    {"EHLO", SMTP_VERB_EHLO}, {"HELO", SMTP_VERB_HELO},		{"LHLO", SMTP_VERB_LHLO},
    {"MAIL", SMTP_VERB_MAIL}, {"RCPT", SMTP_VERB_RCPT},		{"DATA", SMTP_VERB_DATA},
    {"BDAT", SMTP_VERB_BDAT}, {"RSET", SMTP_VERB_RSET},		{"VRFY", SMTP_VERB_VRFY},
    {"EXPN", SMTP_VERB_EXPN}, {"HELP", SMTP_VERB_HELP},		{"NOOP", SMTP_VERB_NOOP},
    {"QUIT", SMTP_VERB_QUIT}, {"STARTTLS", SMTP_VERB_STARTTLS}, {"AUTH", SMTP_VERB_AUTH},
    {"ETRN", SMTP_VERB_ETRN}, {"TURN", SMTP_VERB_TURN},		{"ATRN", SMTP_VERB_ATRN},
    {"BURL", SMTP_VERB_BURL}, {"XCLIENT", SMTP_VERB_XCLIENT},	{"XFORWARD", SMTP_VERB_XFORWARD},
};

static const char *const verb_names[SMTP_VERB_COUNT] = {
    [SMTP_VERB_NONE] = "none",
    [SMTP_VERB_EHLO] = "EHLO",
    [SMTP_VERB_HELO] = "HELO",
    [SMTP_VERB_LHLO] = "LHLO",
    [SMTP_VERB_MAIL] = "MAIL",
    [SMTP_VERB_RCPT] = "RCPT",
    [SMTP_VERB_DATA] = "DATA",
    [SMTP_VERB_BDAT] = "BDAT",
    [SMTP_VERB_RSET] = "RSET",
    [SMTP_VERB_VRFY] = "VRFY",
    [SMTP_VERB_EXPN] = "EXPN",
    [SMTP_VERB_HELP] = "HELP",
    [SMTP_VERB_NOOP] = "NOOP",
    [SMTP_VERB_QUIT] = "QUIT",
    [SMTP_VERB_STARTTLS] = "STARTTLS",
    [SMTP_VERB_AUTH] = "AUTH",
    [SMTP_VERB_ETRN] = "ETRN",
    [SMTP_VERB_TURN] = "TURN",
    [SMTP_VERB_ATRN] = "ATRN",
    [SMTP_VERB_BURL] = "BURL",
    [SMTP_VERB_XCLIENT] = "XCLIENT",
    [SMTP_VERB_XFORWARD] = "XFORWARD",
    [SMTP_VERB_UNKNOWN] = "unknown",
    [SMTP_VERB_GREETING] = "greeting",
    [SMTP_VERB_DATA_END] = "end-of-data",
    [SMTP_VERB_SASL] = "sasl",
};

const char *smtp_verb_name(enum smtp_verb v)
{
	if ((unsigned)v >= SMTP_VERB_COUNT || verb_names[v] == NULL)
		return "unknown";
	return verb_names[v];
}

static bool ieq(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 'a' + 'A');
		if (c != (uint8_t)s[i])
			return false;
	}
	return true;
}

enum smtp_verb smtp_verb_lookup(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(verbs); i++)
		if (ieq(p, len, verbs[i].name))
			return verbs[i].verb;
	return SMTP_VERB_UNKNOWN;
}

struct auth_def {
	const char *name;
	uint32_t bit;
};

static const struct auth_def auths[] = {
    {"PLAIN", SMTP_AUTH_PLAIN},
    {"LOGIN", SMTP_AUTH_LOGIN},
    {"CRAM-MD5", SMTP_AUTH_CRAM_MD5},
    {"DIGEST-MD5", SMTP_AUTH_DIGEST_MD5},
    {"GSSAPI", SMTP_AUTH_GSSAPI},
    {"NTLM", SMTP_AUTH_NTLM},
    {"XOAUTH2", SMTP_AUTH_XOAUTH2},
    {"OAUTHBEARER", SMTP_AUTH_OAUTHBEARER},
    {"SCRAM-SHA-1", SMTP_AUTH_SCRAM_SHA_1},
    {"SCRAM-SHA-256", SMTP_AUTH_SCRAM_SHA_256},
    {"EXTERNAL", SMTP_AUTH_EXTERNAL},
    {"ANONYMOUS", SMTP_AUTH_ANONYMOUS},
};

uint32_t smtp_auth_lookup(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(auths); i++)
		if (ieq(p, len, auths[i].name))
			return auths[i].bit;
	return SMTP_AUTH_OTHER;
}

const char *smtp_auth_name(uint32_t bit)
{
	for (size_t i = 0; i < MX_ARRAY_LEN(auths); i++)
		if (auths[i].bit == bit)
			return auths[i].name;
	return NULL;
}

/* Length of the token at p (up to a space or tab). */
static size_t token_len(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != ' ' && p[i] != '\t')
		i++;
	return i;
}

static size_t skip_ws(const uint8_t *p, size_t len, size_t i)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/*
 * Parses the path of "FROM:<path> params" / "TO:<path> params" (kw is
 * "FROM" or "TO") into *a. Sets *params to what follows the path.
 * Returns false when the argument does not have that shape.
 */
static bool parse_path(const uint8_t *arg, size_t len, const char *kw, struct smtp_addr *a,
		       size_t *params)
{
	size_t kwlen = strlen(kw);
	size_t i, start, end, at;
	bool quoted = false;

	memset(a, 0, sizeof(*a));
	if (len < kwlen || !ieq(arg, kwlen, kw))
		return false;
	i = skip_ws(arg, len, kwlen);
	if (i >= len || arg[i] != ':')
		return false;
	i = skip_ws(arg, len, i + 1);
	if (i < len && arg[i] == '<') {
		start = ++i;
		while (i < len) {
			if (arg[i] == '\\' && quoted && i + 1 < len)
				i++;
			else if (arg[i] == '"')
				quoted = !quoted;
			else if (arg[i] == '>' && !quoted)
				break;
			i++;
		}
		end = i;
		if (i < len)
			i++;
	} else {
		start = i;
		i += token_len(arg + i, len - i);
		end = i;
	}
	*params = i;
	/* A source route "@a,@b:" in front of the mailbox is dropped. */
	if (start < end && arg[start] == '@') {
		const uint8_t *colon = memchr(arg + start, ':', end - start);

		if (colon != NULL)
			start = (size_t)(colon - arg) + 1;
	}
	if (start == end) {
		a->null_path = true;
		return true;
	}
	at = end;
	for (size_t k = end; k > start; k--) {
		if (arg[k - 1] == '@') {
			at = k - 1;
			break;
		}
	}
	if (at == end) {
		smtp_copy_clean(a->local, sizeof(a->local), arg + start, end - start, false);
		a->truncated = end - start > SMTP_LOCAL_MAX;
		return true;
	}
	smtp_copy_clean(a->local, sizeof(a->local), arg + start, at - start, false);
	smtp_copy_clean(a->domain, sizeof(a->domain), arg + at + 1, end - at - 1, true);
	a->truncated = at - start > SMTP_LOCAL_MAX || end - at - 1 > SMTP_DOMAIN_MAX;
	return true;
}

/* True when the parameters after a MAIL FROM path include REQUIRETLS. */
static bool has_requiretls(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while ((i = skip_ws(p, len, i)) < len) {
		size_t t = token_len(p + i, len - i);

		if (ieq(p + i, t, "REQUIRETLS"))
			return true;
		i += t;
	}
	return false;
}

static bool addr_same(const struct smtp_addr *x, const struct smtp_addr *y)
{
	return strcmp(x->local, y->local) == 0 && strcmp(x->domain, y->domain) == 0;
}

/* Keeps a in list (bounded, no duplicates); returns the kept copy or NULL. */
static struct smtp_addr *addr_keep(struct smtp_addr *list, unsigned *n, unsigned max,
				   unsigned *dropped, const struct smtp_addr *a)
{
	for (unsigned i = 0; i < *n; i++) {
		if (addr_same(&list[i], a)) {
			list[i].seq = a->seq;
			list[i].code = 0;
			return &list[i];
		}
	}
	if (*n >= max) {
		(*dropped)++;
		return NULL;
	}
	list[*n] = *a;
	return &list[(*n)++];
}

/* Parses "BDAT size [LAST]"; false when malformed. */
static bool parse_bdat(const uint8_t *arg, size_t len, uint64_t *size, bool *last)
{
	size_t i = 0;
	uint64_t v = 0;

	if (len == 0 || arg[0] < '0' || arg[0] > '9')
		return false;
	while (i < len && arg[i] >= '0' && arg[i] <= '9') {
		unsigned d = (unsigned)(arg[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		i++;
	}
	i = skip_ws(arg, len, i);
	*last = false;
	if (i < len) {
		size_t t = token_len(arg + i, len - i);

		if (!ieq(arg + i, t, "LAST") || skip_ws(arg, len, i + t) != len)
			return false;
		*last = true;
	}
	*size = v;
	return true;
}

static bool is_alpha_word(const uint8_t *p, size_t len)
{
	if (len == 0 || len > 8)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')))
			return false;
	return true;
}

/*
 * While an AUTH exchange is open every client line is a SASL response
 * (RFC 4954: base64 or "*") and stays secret. A line that cannot be one,
 * because it holds a blank or a byte outside base64, and that starts with
 * a known verb, is a command: the exchange was over without a final reply
 * we saw (one-sided capture, lost reply).
 */
static bool sasl_escape(const uint8_t *line, size_t len)
{
	size_t vlen = token_len(line, len);
	bool b64 = true;

	for (size_t i = 0; i < len && b64; i++) {
		uint8_t c = line[i];

		b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '=' || c == '*';
	}
	return !b64 && smtp_verb_lookup(line, vlen) != SMTP_VERB_UNKNOWN;
}

/* Side effects of a command while pairing is lost: only what keeps the
 * byte stream in step (message bodies), nothing reported. */
static void desync_command(struct smtp_run *r, enum smtp_verb verb, const uint8_t *arg, size_t alen)
{
	struct smtp_state *s = r->s;
	uint64_t size;
	bool last;

	if (verb != SMTP_VERB_UNKNOWN)
		s->info.commands++;
	if (verb == SMTP_VERB_DATA) {
		smtp_client_wait(r, SMTP_VERB_DATA);
	} else if (verb == SMTP_VERB_BDAT && parse_bdat(arg, alen, &size, &last) && size > 0) {
		if (!s->msg_bdat)
			smtp_msg_begin(s, true);
		s->bdat_left = size;
		s->bdat_last = last;
		s->cmode = SMTP_C_BDAT;
	}
}

static void cmd_mail(struct smtp_run *r, struct smtp_event *ev, const uint8_t *arg, size_t alen,
		     struct smtp_addr *tmp)
{
	struct smtp_state *s = r->s;
	struct smtp_addr *kept;
	size_t params = 0;

	s->info.cleartext_mail = true;
	s->info.transactions++;
	smtp_trans_reset(s);
	s->trans_open = true;
	if (!parse_path(arg, alen, "FROM", tmp, &params))
		return;
	tmp->seq = ev->u.cmd.seq;
	ev->u.cmd.requiretls = has_requiretls(arg + params, alen - params);
	if (ev->u.cmd.requiretls) {
		s->info.requiretls = true;
		s->trans_requiretls = true;
	}
	ev->u.cmd.addr = tmp;
	kept = addr_keep(s->info.from, &s->info.nfrom, SMTP_MAX_FROM, &s->info.from_dropped, tmp);
	if (kept != NULL)
		s->trans_from = (int)(kept - s->info.from);
}

static void cmd_rcpt(struct smtp_run *r, struct smtp_event *ev, const uint8_t *arg, size_t alen,
		     struct smtp_addr *tmp)
{
	struct smtp_state *s = r->s;
	size_t params = 0;

	s->info.cleartext_mail = true;
	s->trans_rcpts++;
	if (!parse_path(arg, alen, "TO", tmp, &params))
		return;
	tmp->seq = ev->u.cmd.seq;
	ev->u.cmd.addr = tmp;
	addr_keep(s->info.rcpt, &s->info.nrcpt, SMTP_MAX_RCPT, &s->info.rcpt_dropped, tmp);
}

/* AUTH mech [initial-response]: only the mechanism goes anywhere. */
static void cmd_auth(struct smtp_run *r, struct smtp_event *ev, const uint8_t *arg, size_t alen)
{
	struct smtp_state *s = r->s;
	size_t mlen = token_len(arg, alen);
	size_t rest = skip_ws(arg, alen, mlen);

	smtp_copy_clean(s->auth_mech, sizeof(s->auth_mech), arg, mlen, false);
	for (char *c = s->auth_mech; *c != '\0'; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	s->auth_bit = smtp_auth_lookup(arg, mlen);
	s->auth_sasl = 0;
	s->auth_open = true;
	memcpy(s->info.auth_mech, s->auth_mech, sizeof(s->info.auth_mech));
	s->info.auth_mech_bit = s->auth_bit;
	ev->u.cmd.arg = s->auth_mech;
	ev->u.cmd.arg_len = strlen(s->auth_mech);
	ev->u.cmd.auth_initial_response = rest < alen;
}

static void cmd_helo(struct smtp_run *r, enum smtp_verb verb, const uint8_t *arg, size_t alen)
{
	struct smtp_state *s = r->s;

	s->info.helo_verb = verb;
	smtp_copy_clean(s->info.helo_name, sizeof(s->info.helo_name), arg, token_len(arg, alen),
			false);
	smtp_trans_reset(s);
}

void smtp_client_line(struct smtp_run *r, const uint8_t *line, size_t len, uint64_t total,
		      bool truncated)
{
	struct smtp_state *s = r->s;
	struct smtp_event ev;
	struct smtp_addr tmp;
	enum smtp_verb verb;
	size_t vlen, aoff;
	uint32_t seq;
	bool pipelined;

	if (s->auth_open && !sasl_escape(line, len)) {
		/* A line of the SASL exchange: counted, never shown. */
		if (total > SMTP_SASL_LIMIT)
			smtp_overlong(r, SMTP_DIR_TOSERVER, total, SMTP_SASL_LIMIT, truncated,
				      true);
		s->auth_sasl++;
		if (!smtp_q_push(s, SMTP_VERB_SASL, &seq))
			smtp_desync(s);
		return;
	}
	if (s->sasl_next) {
		s->sasl_next = false;
		return;
	}
	if (s->auth_open) {
		s->auth_open = false;
		s->info.auth_escaped++;
	}
	vlen = token_len(line, len);
	verb = smtp_verb_lookup(line, vlen);
	aoff = skip_ws(line, len, vlen);
	if (s->desync) {
		if (!s->line_after_reply || verb == SMTP_VERB_UNKNOWN) {
			desync_command(r, verb, line + aoff, len - aoff);
			return;
		}
		s->desync = false;
		s->snap_len = 0;
	}
	if (total > (verb == SMTP_VERB_AUTH ? SMTP_SASL_LIMIT : SMTP_CMD_LIMIT))
		smtp_overlong(r, SMTP_DIR_TOSERVER, total,
			      verb == SMTP_VERB_AUTH ? SMTP_SASL_LIMIT : SMTP_CMD_LIMIT, truncated,
			      true);

	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_COMMAND;
	ev.dir = SMTP_DIR_TOSERVER;
	ev.u.cmd.verb = verb;
	ev.u.cmd.truncated = truncated;
	if (verb != SMTP_VERB_UNKNOWN || is_alpha_word(line, vlen)) {
		ev.u.cmd.verb_text = (const char *)line;
		ev.u.cmd.verb_len = vlen;
	}
	if (verb != SMTP_VERB_UNKNOWN && verb != SMTP_VERB_AUTH) {
		ev.u.cmd.arg = (const char *)line + aoff;
		ev.u.cmd.arg_len = len - aoff;
	}

	pipelined = !smtp_q_empty(s);
	if (verb == SMTP_VERB_BDAT &&
	    parse_bdat(line + aoff, len - aoff, &ev.u.cmd.bdat_size, &ev.u.cmd.bdat_last)) {
		if (!smtp_q_push(s, (uint8_t)(verb | (ev.u.cmd.bdat_last ? SMTP_QFLAG_LAST : 0)),
				 &seq)) {
			smtp_desync(s);
			desync_command(r, verb, line + aoff, len - aoff);
			return;
		}
	} else if (!smtp_q_push(s, (uint8_t)verb, &seq)) {
		smtp_desync(s);
		desync_command(r, verb, line + aoff, len - aoff);
		return;
	}
	s->info.commands++;
	ev.u.cmd.seq = seq;
	ev.u.cmd.pipelined = pipelined;

	switch (verb) {
	case SMTP_VERB_EHLO:
	case SMTP_VERB_LHLO:
		cmd_helo(r, verb, line + aoff, len - aoff);
		s->ehlo_refused = false;
		break;
	case SMTP_VERB_HELO:
		cmd_helo(r, verb, line + aoff, len - aoff);
		break;
	case SMTP_VERB_MAIL:
		cmd_mail(r, &ev, line + aoff, len - aoff, &tmp);
		break;
	case SMTP_VERB_RCPT:
		cmd_rcpt(r, &ev, line + aoff, len - aoff, &tmp);
		break;
	case SMTP_VERB_DATA:
	case SMTP_VERB_BDAT:
		s->info.cleartext_mail = true;
		break;
	case SMTP_VERB_RSET:
		smtp_trans_reset(s);
		break;
	case SMTP_VERB_AUTH:
		cmd_auth(r, &ev, line + aoff, len - aoff);
		break;
	case SMTP_VERB_STARTTLS:
		s->info.starttls_issued = true;
		break;
	default:
		break;
	}
	smtp_emit(r, &ev);

	if (verb == SMTP_VERB_HELO && s->ehlo_refused) {
		struct smtp_event dg;

		memset(&dg, 0, sizeof(dg));
		dg.type = SMTP_EV_EHLO_DOWNGRADE;
		dg.dir = SMTP_DIR_TOSERVER;
		dg.u.downgrade.ehlo_code = s->ehlo_refused_code;
		s->info.ehlo_downgrade = true;
		s->ehlo_refused = false;
		smtp_emit(r, &dg);
	}
	if (verb == SMTP_VERB_STARTTLS || verb == SMTP_VERB_DATA) {
		smtp_client_wait(r, verb);
	} else if (verb == SMTP_VERB_BDAT && ev.u.cmd.bdat_size > 0) {
		if (!s->msg_bdat)
			smtp_msg_begin(s, true);
		s->bdat_left = ev.u.cmd.bdat_size;
		s->bdat_last = ev.u.cmd.bdat_last;
		s->cmode = SMTP_C_BDAT;
	} else if (verb == SMTP_VERB_BDAT && ev.u.cmd.bdat_last) {
		if (!s->msg_bdat)
			smtp_msg_begin(s, true);
		smtp_msg_end(r);
	}
}
