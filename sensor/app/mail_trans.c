/*
 * mail_trans.c - one entry per mail of an SMTP session (see mail_trans.h),
 * built from the SMTP dissector's command, reply and message events.
 * Replies are matched to MAIL and RCPT by command sequence number, the end
 * of a message to the oldest mail whose data was sent and not answered.
 */
#include "app/mail_trans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum data_verb { DATA_NONE, DATA_DATA, DATA_BDAT };

struct trans_rcpt {
	char addr[MAIL_ADDR_TEXT];
	uint32_t seq;
	uint16_t code; /* 0 until answered */
};

struct trans {
	char from[MAIL_ADDR_TEXT]; /* "" when the path could not be read */
	uint32_t from_seq;
	uint16_t from_code;
	struct trans_rcpt rcpt[MAIL_TRANS_RCPT];
	unsigned nrcpt, rcpt_dropped;
	uint8_t data; /* enum data_verb: how the message went */
	uint32_t data_seq;
	uint16_t code; /* the reply that ended it (end of data, or a refusal of DATA/BDAT) */
	bool done;     /* answered or reset: nothing more belongs to it */
	bool reset;    /* RSET before its data */
	uint64_t size;
	char message_id[SMTP_HDRVAL_MAX + 1];
};

struct mail_trans_log {
	struct trans t[MAIL_TRANS_MAX];
	unsigned n;	  /* listed */
	unsigned dropped; /* mails not listed (more than MAIL_TRANS_MAX) */
};

void mail_addr_text(const struct smtp_addr *a, bool redact, char *buf, size_t len)
{
	if (a->null_path)
		snprintf(buf, len, "<>");
	else if (redact)
		snprintf(buf, len, "<redacted@%s>", a->domain);
	else
		snprintf(buf, len, "<%s@%s>", a->local, a->domain);
}

/* The mail commands and replies now belong to: the last one, while open. */
static struct trans *current(struct mail_trans_log *l)
{
	if (l == NULL || l->n == 0 || l->dropped > 0 || l->t[l->n - 1].done)
		return NULL;
	return &l->t[l->n - 1];
}

/* The oldest mail whose data went out and that nothing answered yet. */
static struct trans *awaiting_end(struct mail_trans_log *l)
{
	if (l == NULL)
		return NULL;
	for (unsigned i = 0; i < l->n; i++)
		if (l->t[i].data != DATA_NONE && !l->t[i].done)
			return &l->t[i];
	return NULL;
}

static bool new_mail(struct mail_trans_log **log, const struct smtp_event *ev, bool redact,
		     size_t *bytes, size_t memcap)
{
	struct mail_trans_log *l = *log;
	struct trans *t;

	if (l == NULL) {
		if (*bytes + sizeof(*l) > memcap || (l = calloc(1, sizeof(*l))) == NULL)
			return false;
		*bytes += sizeof(*l);
		*log = l;
	}
	if (l->n == MAIL_TRANS_MAX) {
		l->dropped++;
		return true;
	}
	t = &l->t[l->n++];
	if (ev->u.cmd.addr != NULL)
		mail_addr_text(ev->u.cmd.addr, redact, t->from, sizeof(t->from));
	t->from_seq = ev->u.cmd.seq;
	return true;
}

static void on_command(struct mail_trans_log *l, const struct smtp_event *ev, bool redact)
{
	struct trans *t = current(l);

	if (t == NULL)
		return;
	switch (ev->u.cmd.verb) {
	case SMTP_VERB_RCPT:
		if (t->nrcpt == MAIL_TRANS_RCPT) {
			t->rcpt_dropped++;
			break;
		}
		if (ev->u.cmd.addr != NULL)
			mail_addr_text(ev->u.cmd.addr, redact, t->rcpt[t->nrcpt].addr,
				       sizeof(t->rcpt[t->nrcpt].addr));
		t->rcpt[t->nrcpt++].seq = ev->u.cmd.seq;
		break;
	case SMTP_VERB_DATA:
	case SMTP_VERB_BDAT:
		if (t->data == DATA_NONE)
			t->data = ev->u.cmd.verb == SMTP_VERB_DATA ? DATA_DATA : DATA_BDAT;
		t->data_seq = ev->u.cmd.seq;
		break;
	case SMTP_VERB_RSET:
		if (t->data == DATA_NONE) {
			t->reset = true;
			t->done = true;
		}
		break;
	default:
		break;
	}
}

static void on_reply(struct mail_trans_log *l, const struct smtp_event *ev)
{
	uint32_t seq = ev->u.reply.seq;
	uint16_t code = ev->u.reply.code;

	for (unsigned i = l->n; i-- > 0;) {
		struct trans *t = &l->t[i];

		switch (ev->u.reply.verb) {
		case SMTP_VERB_MAIL:
			if (t->from_seq == seq && t->from_code == 0) {
				t->from_code = code;
				return;
			}
			break;
		case SMTP_VERB_RCPT:
			for (unsigned r = 0; r < t->nrcpt; r++) {
				if (t->rcpt[r].seq == seq && t->rcpt[r].code == 0) {
					t->rcpt[r].code = code;
					return;
				}
			}
			break;
		case SMTP_VERB_DATA:
		case SMTP_VERB_BDAT:
			/* A refused DATA or BDAT ends the mail without a message. */
			if (t->data != DATA_NONE && !t->done && t->data_seq == seq) {
				if (code / 100 == 4 || code / 100 == 5) {
					t->code = code;
					t->done = true;
				}
				return;
			}
			break;
		default:
			return;
		}
	}
}

bool mail_trans_event(struct mail_trans_log **log, const struct smtp_event *ev, bool redact,
		      size_t *bytes, size_t memcap)
{
	struct trans *t;

	switch (ev->type) {
	case SMTP_EV_COMMAND:
		if (ev->u.cmd.verb == SMTP_VERB_MAIL)
			return new_mail(log, ev, redact, bytes, memcap);
		on_command(*log, ev, redact);
		break;
	case SMTP_EV_REPLY:
		if (*log != NULL)
			on_reply(*log, ev);
		break;
	case SMTP_EV_TRANSACTION:
		if ((t = awaiting_end(*log)) != NULL) {
			t->code = ev->u.trans.code;
			t->size = ev->u.trans.body_bytes;
			t->data = ev->u.trans.bdat ? DATA_BDAT : DATA_DATA;
			t->done = true;
		}
		break;
	case SMTP_EV_MESSAGE_ID:
		if ((t = awaiting_end(*log)) != NULL && t->message_id[0] == '\0') {
			size_t n = MX_MIN(ev->u.header.value_len, sizeof(t->message_id) - 1);

			memcpy(t->message_id, ev->u.header.value, n);
			t->message_id[n] = '\0';
		}
		break;
	default:
		break;
	}
	return true;
}

unsigned mail_trans_count(const struct mail_trans_log *log)
{
	return log == NULL ? 0 : log->n + log->dropped;
}

bool mail_trans_write_first_rcpts(const struct mail_trans_log *log, struct eve *e, const char *key)
{
	const struct trans *t;

	if (log == NULL || log->n == 0 || log->t[0].nrcpt == 0)
		return false;
	t = &log->t[0];
	eve_list_begin(e, key);
	for (unsigned i = 0; i < t->nrcpt; i++)
		if (t->rcpt[i].addr[0])
			eve_list_str(e, t->rcpt[i].addr);
	eve_list_end(e);
	return true;
}

static void write_one(const struct trans *t, struct eve *e)
{
	eve_obj_begin(e, NULL);
	if (t->from[0])
		eve_str(e, "mail_from", t->from);
	if (t->from_code)
		eve_u64(e, "mail_from_reply", t->from_code);
	eve_list_begin(e, "rcpt_to");
	for (unsigned i = 0; i < t->nrcpt; i++) {
		eve_obj_begin(e, NULL);
		if (t->rcpt[i].addr[0])
			eve_str(e, "address", t->rcpt[i].addr);
		if (t->rcpt[i].code)
			eve_u64(e, "reply_code", t->rcpt[i].code);
		eve_obj_end(e);
	}
	eve_list_end(e);
	if (t->rcpt_dropped)
		eve_u64(e, "rcpt_not_listed", t->rcpt_dropped);
	if (t->data != DATA_NONE)
		eve_str(e, "data", t->data == DATA_DATA ? "DATA" : "BDAT");
	if (t->code)
		eve_u64(e, "reply_code", t->code);
	if (t->size)
		eve_u64(e, "size", t->size);
	if (t->message_id[0])
		eve_bytes(e, "message_id", (const uint8_t *)t->message_id, strlen(t->message_id));
	if (t->reset)
		eve_bool(e, "reset", true);
	eve_obj_end(e);
}

void mail_trans_write(const struct mail_trans_log *log, struct eve *e)
{
	eve_list_begin(e, "transactions");
	for (unsigned i = 0; log != NULL && i < log->n; i++)
		write_one(&log->t[i], e);
	eve_list_end(e);
	if (log != NULL && log->dropped)
		eve_u64(e, "transactions_not_listed", log->dropped);
}

void mail_trans_free(struct mail_trans_log *log, size_t *bytes)
{
	if (log == NULL)
		return;
	*bytes -= sizeof(*log);
	free(log);
}
