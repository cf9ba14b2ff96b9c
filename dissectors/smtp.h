/*
 * smtp.h - the SMTP dissector: client commands and server replies of one
 * TCP connection, both directions, as reassembled byte streams.
 *
 * Pure and fixed-size: no allocation, no global state. Every line is
 * bounded (SMTP_LINE_MAX bytes kept, the rest of an overlong line counted
 * and skipped); message bodies (DATA, BDAT) are skipped without buffering
 * while their header block is read for TLS-Required (RFC 8689).
 *
 * Switching to TLS. After a 220 reply to STARTTLS each direction hands
 * the rest of its stream to the TLS dissector:
 *  - server direction: the bytes after the 220 reply line are TLS, except
 *    lines the server sends before the client has sent anything after the
 *    220 (a real server answers only a ClientHello): those are reported as
 *    SMTP_EV_STARTTLS_RESPONSE_INJECTION and consumed here. A line that
 *    starts with a TLS record byte ends that check at once.
 *  - client direction: bytes the client sends after the STARTTLS line but
 *    before the server's reply are held (SMTP_HOLD_MAX kept, the rest
 *    counted). When the reply is 220, the held bytes in front of the first
 *    line that starts with a TLS record byte are injected plaintext
 *    (SMTP_EV_STARTTLS_COMMAND_INJECTION: count and first bytes); the held
 *    bytes from that line on are a ClientHello that overtook the 220 in the
 *    capture and belong to TLS: smtp_take_tls_pending() returns them. When
 *    the reply is anything else, the held bytes are parsed as the SMTP
 *    commands they are.
 *
 * Caller loop, per reassembled chunk of direction dir:
 *
 *	n = smtp_feed(s, dir, data, len, cb, ctx);
 *	for (d = 0; d < 2; d++)
 *		if ((plen = smtp_take_tls_pending(s, d, &p)) > 0)
 *			tls_feed(t, d, p, plen, ...);
 *	if (n < len)
 *		tls_feed(t, dir, data + n, len - n, ...);
 *
 * Keep calling smtp_feed for every chunk, also once a direction is TLS (it
 * then consumes nothing): the order in which the two directions deliver
 * data is what tells injected bytes from the TLS handshake.
 */
#ifndef MX_SMTP_H
#define MX_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_DIR_TOSERVER 0
#define SMTP_DIR_TOCLIENT 1

/* Bytes of one line kept (without CRLF): RFC 5321 text lines are 1000
 * octets with CRLF, commands and replies 512; the rest is slack. */
#define SMTP_LINE_MAX 1024
/* RFC 5321 4.5.3.1.4-6 limits, CRLF included; SASL lines: RFC 4954 4. */
#define SMTP_CMD_LIMIT	 512
#define SMTP_REPLY_LIMIT 512
#define SMTP_TEXT_LIMIT	 1000
#define SMTP_SASL_LIMIT	 12288
/* Client bytes held while a STARTTLS or DATA reply is outstanding. */
#define SMTP_HOLD_MAX 4096
/* Reply text kept for the reply event (lines without CRLF). */
#define SMTP_REPLY_MAX	 2048
#define SMTP_REPLY_LINES 32
/* Evidence bytes carried by the injection events. */
#define SMTP_EVIDENCE_MAX 64
/* Outstanding commands remembered (run-length: a run of RCPT is one). */
#define SMTP_QUEUE_MAX 32
/* Addresses kept for the session record. */
#define SMTP_MAX_FROM	4
#define SMTP_MAX_RCPT	8
#define SMTP_LOCAL_MAX	64
#define SMTP_DOMAIN_MAX 255
#define SMTP_NAME_MAX	255
#define SMTP_MECH_MAX	20
#define SMTP_HDRVAL_MAX 128

/* Command verbs; the last three are not commands but what a reply answers. */
enum smtp_verb {
	SMTP_VERB_NONE = 0, /* a reply that answers nothing known */
	SMTP_VERB_EHLO,
	SMTP_VERB_HELO,
	SMTP_VERB_LHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_ETRN,
	SMTP_VERB_TURN,
	SMTP_VERB_ATRN,
	SMTP_VERB_BURL,
	SMTP_VERB_XCLIENT,
	SMTP_VERB_XFORWARD,
	SMTP_VERB_UNKNOWN,  /* any other line sent as a command */
	SMTP_VERB_GREETING, /* the connection greeting */
	SMTP_VERB_DATA_END, /* the end of a DATA body (".") */
	SMTP_VERB_SASL,	    /* a client line of an AUTH exchange */
	SMTP_VERB_COUNT
};

/* EHLO capabilities (bitmask). */
#define SMTP_CAP_STARTTLS	     (1u << 0)
#define SMTP_CAP_PIPELINING	     (1u << 1)
#define SMTP_CAP_CHUNKING	     (1u << 2)
#define SMTP_CAP_SIZE		     (1u << 3)
#define SMTP_CAP_8BITMIME	     (1u << 4)
#define SMTP_CAP_SMTPUTF8	     (1u << 5)
#define SMTP_CAP_REQUIRETLS	     (1u << 6)
#define SMTP_CAP_AUTH		     (1u << 7)
#define SMTP_CAP_DSN		     (1u << 8)
#define SMTP_CAP_ENHANCEDSTATUSCODES (1u << 9)
#define SMTP_CAP_BINARYMIME	     (1u << 10)
#define SMTP_CAP_DELIVERBY	     (1u << 11)
#define SMTP_CAP_ETRN		     (1u << 12)
#define SMTP_CAP_VRFY		     (1u << 13)
#define SMTP_CAP_XCLIENT	     (1u << 14)
#define SMTP_CAP_XFORWARD	     (1u << 15)
#define SMTP_CAP_PRDR		     (1u << 16)
#define SMTP_CAP_MTPRIORITY	     (1u << 17)
#define SMTP_CAP_LIMITS		     (1u << 18)
#define SMTP_CAP_OTHER		     (1u << 31) /* a keyword not listed above */

/* AUTH mechanisms (bitmask), offered in EHLO or used. */
#define SMTP_AUTH_PLAIN		(1u << 0)
#define SMTP_AUTH_LOGIN		(1u << 1)
#define SMTP_AUTH_CRAM_MD5	(1u << 2)
#define SMTP_AUTH_DIGEST_MD5	(1u << 3)
#define SMTP_AUTH_GSSAPI	(1u << 4)
#define SMTP_AUTH_NTLM		(1u << 5)
#define SMTP_AUTH_XOAUTH2	(1u << 6)
#define SMTP_AUTH_OAUTHBEARER	(1u << 7)
#define SMTP_AUTH_SCRAM_SHA_1	(1u << 8)
#define SMTP_AUTH_SCRAM_SHA_256 (1u << 9)
#define SMTP_AUTH_EXTERNAL	(1u << 10)
#define SMTP_AUTH_ANONYMOUS	(1u << 11)
#define SMTP_AUTH_OTHER		(1u << 31)

/* Value of a TLS-Required header (RFC 8689 5). */
enum smtp_tlsreq {
	SMTP_TLSREQ_NONE = 0, /* no such header */
	SMTP_TLSREQ_NO,	      /* "TLS-Required: No" */
	SMTP_TLSREQ_OTHER,    /* the header with any other value */
};

enum smtp_event_type {
	SMTP_EV_GREETING,	 /* the server's first reply (u.reply) */
	SMTP_EV_COMMAND,	 /* one client command line (u.cmd) */
	SMTP_EV_REPLY,		 /* one complete server reply (u.reply) */
	SMTP_EV_EHLO_REPLY,	 /* reply to EHLO/HELO/LHLO (u.reply, u.ehlo) */
	SMTP_EV_EHLO_DOWNGRADE,	 /* HELO sent after EHLO was refused (u.downgrade) */
	SMTP_EV_STARTTLS_MASKED, /* EHLO reply with a masked STARTTLS (u.reply, u.ehlo) */
	SMTP_EV_STARTTLS_REPLY,	 /* the reply to STARTTLS (u.reply, u.starttls) */
	SMTP_EV_STARTTLS_COMMAND_INJECTION,  /* u.inject, dir 0 */
	SMTP_EV_STARTTLS_RESPONSE_INJECTION, /* u.inject, dir 1 */
	SMTP_EV_TLS_BEGIN,		     /* direction dir is TLS from now on (u.tls_begin) */
	SMTP_EV_AUTH,			     /* an AUTH exchange ended (u.auth) */
	SMTP_EV_TLS_REQUIRED_HEADER,	     /* TLS-Required header of a message (u.header) */
	SMTP_EV_TRANSACTION,		     /* a message transfer was answered (u.trans) */
	SMTP_EV_OVERLONG_LINE, /* a command, reply or header line over its limit (u.overlong) */
	SMTP_EV_BODY_ANOMALY,  /* message end not as RFC 5321 says (u.anomaly) */
	SMTP_EV_MESSAGE_ID,    /* the first Message-ID header of a message (u.header,
				  tlsreq NONE; the value cut at SMTP_HDRVAL_MAX) */
	SMTP_EV_TYPE_COUNT
};

/* One line of a reply, as seen, without CRLF. */
struct smtp_line {
	const char *p;
	size_t len;
};

/* A parsed MAIL FROM / RCPT TO path. Strings are NUL-terminated, control
 * bytes replaced by '?'; domain lowercased. local is what an option may
 * redact; the raw command argument (u.cmd.arg) contains it too. */
struct smtp_addr {
	char local[SMTP_LOCAL_MAX + 1];
	char domain[SMTP_DOMAIN_MAX + 1];
	bool truncated; /* the path was longer than kept */
	bool null_path; /* "<>" */
	uint16_t code;	/* reply code, 0 until the reply is seen */
	uint32_t seq;	/* command sequence number */
};

enum smtp_anomaly {
	SMTP_ANOM_BARE_LF_DOT,	/* "." line with a bare LF before or after it
				   (SMTP smuggling candidate; not the end) */
	SMTP_ANOM_SERVER_ENDED, /* the server replied while the body was still
				   open: it took another end of data */
};

struct smtp_event {
	enum smtp_event_type type;
	int dir; /* 0 client->server, 1 server->client: who sent it */
	union {
		/* GREETING, REPLY, EHLO_REPLY, STARTTLS_MASKED, STARTTLS_REPLY */
		struct {
			uint16_t code;	     /* code of the last line */
			enum smtp_verb verb; /* what it answers */
			uint32_t seq;	     /* seq of that command */
			const struct smtp_line *lines;
			unsigned nlines;
			unsigned lines_dropped; /* lines not kept (bound) */
			bool code_mismatch;	/* lines with differing codes */
		} reply;
		/* COMMAND */
		struct {
			enum smtp_verb verb;
			const char *verb_text; /* as seen; NULL for unknown verbs
						  longer than 8 letters */
			size_t verb_len;
			const char *arg; /* the argument; for AUTH only the
					    mechanism, never a credential; NULL
					    for unknown verbs */
			size_t arg_len;
			uint32_t seq;		      /* command sequence number */
			bool pipelined;		      /* sent with replies outstanding */
			bool truncated;		      /* line longer than SMTP_LINE_MAX */
			const struct smtp_addr *addr; /* MAIL/RCPT, else NULL */
			bool requiretls;	      /* MAIL with the REQUIRETLS parameter */
			bool auth_initial_response;   /* AUTH with one (not shown) */
			uint64_t bdat_size;	      /* BDAT */
			bool bdat_last;
		} cmd;
		/* SMTP_EV_EHLO_DOWNGRADE */
		struct {
			uint16_t ehlo_code; /* the EHLO refusal */
		} downgrade;
		/* SMTP_EV_STARTTLS_COMMAND_INJECTION / _RESPONSE_INJECTION */
		struct {
			uint64_t len;	      /* injected bytes */
			const uint8_t *bytes; /* the first of them */
			size_t bytes_len;     /* <= SMTP_EVIDENCE_MAX */
		} inject;
		/* SMTP_EV_TLS_BEGIN */
		struct {
			size_t pending; /* bytes smtp_take_tls_pending() has */
		} tls_begin;
		/* SMTP_EV_AUTH */
		struct {
			const char *mech;    /* mechanism name as sent (uppercased) */
			uint32_t mech_bit;   /* SMTP_AUTH_* */
			uint16_t code;	     /* final reply */
			unsigned sasl_lines; /* client lines exchanged (not shown) */
		} auth;
		/* SMTP_EV_TLS_REQUIRED_HEADER, SMTP_EV_MESSAGE_ID */
		struct {
			const char *value; /* unfolded, trimmed */
			size_t value_len;
			enum smtp_tlsreq tlsreq;
		} header;
		/* SMTP_EV_TRANSACTION */
		struct {
			uint16_t code;	     /* reply to the end of the message */
			bool bdat;	     /* sent with BDAT */
			uint64_t body_bytes; /* message bytes as sent */
			unsigned rcpts;	     /* RCPT commands */
			bool requiretls;     /* MAIL had REQUIRETLS */
			enum smtp_tlsreq tlsreq;
			const struct smtp_addr *from; /* NULL if not kept */
		} trans;
		/* SMTP_EV_OVERLONG_LINE */
		struct {
			uint64_t len;	/* line length with CRLF */
			size_t limit;	/* the limit it broke */
			bool truncated; /* longer than SMTP_LINE_MAX */
		} overlong;
		/* SMTP_EV_BODY_ANOMALY */
		struct {
			enum smtp_anomaly kind;
		} anomaly;
	} u;
	/* STARTTLS_REPLY: also set (with u.reply) */
	struct {
		bool offered;  /* STARTTLS was in the last EHLO reply */
		bool accepted; /* code 220 */
	} starttls;
	/* EHLO_REPLY and STARTTLS_MASKED: also set (with u.reply) */
	struct {
		uint32_t caps;	     /* SMTP_CAP_* */
		uint32_t auth_mechs; /* SMTP_AUTH_* */
		uint64_t size_limit; /* SIZE parameter, 0 if none */
		bool starttls;	     /* STARTTLS offered */
		const char *masked;  /* masked keyword as seen, or NULL */
		size_t masked_len;
		const char *masked_line; /* its capability line (127 bytes kept) */
		size_t masked_line_len;
		bool helo; /* answer to HELO (no capabilities) */
	} ehlo;
};

/* Every pointer in an event is valid only during the callback. */
struct smtp_callbacks {
	void (*event)(void *ctx, const struct smtp_event *ev);
};

/* The session record: what the dissector learned about the connection. */
struct smtp_info {
	bool implicit_tls; /* smtp_init(.., true): nothing is SMTP */
	bool midstream;	   /* picked up in the middle */
	bool tls_first;	   /* the client opened with a TLS record: implicit
			      TLS on a port not set up as such */
	uint16_t greeting_code;
	char banner_host[SMTP_NAME_MAX + 1]; /* first word of the greeting */
	enum smtp_verb helo_verb;	     /* EHLO, HELO or LHLO last sent */
	char helo_name[SMTP_NAME_MAX + 1];
	uint16_t ehlo_code; /* reply to the last EHLO/HELO */
	uint32_t caps;	    /* of the last successful EHLO reply */
	uint32_t auth_mechs;
	uint64_t size_limit;
	bool starttls_offered;	/* in any EHLO reply */
	bool starttls_masked;	/* a masked keyword in any EHLO reply */
	char masked_keyword[9]; /* the first one seen */
	bool ehlo_downgrade;	/* HELO after a refused EHLO */
	bool starttls_issued;
	uint16_t starttls_code;	     /* reply to the last STARTTLS, 0 if none */
	bool tls[2];		     /* direction switched to TLS */
	uint64_t command_injection;  /* client bytes after STARTTLS, before 220 */
	uint64_t response_injection; /* server bytes after 220, before client */
	bool cleartext_mail;	     /* MAIL/RCPT/DATA/BDAT sent in cleartext */
	struct smtp_addr from[SMTP_MAX_FROM];
	unsigned nfrom, from_dropped;
	struct smtp_addr rcpt[SMTP_MAX_RCPT];
	unsigned nrcpt, rcpt_dropped;
	bool requiretls;		   /* a MAIL FROM had REQUIRETLS */
	enum smtp_tlsreq tls_required;	   /* strongest TLS-Required header seen */
	char auth_mech[SMTP_MECH_MAX + 1]; /* AUTH in cleartext, "" if none */
	uint32_t auth_mech_bit;
	uint16_t auth_code; /* final reply to it */
	uint64_t commands, replies, transactions, messages;
	uint64_t overlong_lines[2];  /* lines over their RFC limit */
	uint64_t truncated_lines[2]; /* lines over SMTP_LINE_MAX */
	uint64_t bad_lines[2];	     /* neither command nor reply */
	uint64_t unmatched_replies;  /* replies with no command to answer */
	uint64_t body_anomalies;
	uint64_t gaps[2];
	uint64_t desyncs;      /* times command/reply pairing was lost */
	uint64_t hold_dropped; /* held client bytes not kept */
	uint64_t auth_escaped; /* AUTH exchanges left by a command line */
};

/* Private: per-direction line reader. */
struct smtp_linebuf {
	uint8_t buf[SMTP_LINE_MAX];
	size_t len;	/* bytes kept */
	uint64_t total; /* bytes of the line so far */
	bool cr;	/* last byte was CR */
};

/* Private: streaming reader of a message header block. */
struct smtp_hdrparse {
	uint8_t state;
	char name[32];
	uint8_t name_len;
	uint8_t interesting; /* which header is being read (0: none kept) */
	bool message_id_seen;
	char value[SMTP_HDRVAL_MAX + 1];
	size_t value_len;
	uint64_t line_len;
};

/* Private: a message the client finished, waiting for its reply. */
struct smtp_trans_snap {
	int16_t from; /* index in info.from, -1 if none */
	uint16_t rcpts;
	bool requiretls;
	bool bdat;
	uint8_t tlsreq;
	uint64_t bytes;
};

#define SMTP_SNAP_MAX 4

/* Private: one run of outstanding commands with the same verb. */
struct smtp_qent {
	uint8_t verb;
	uint16_t count;
};

/* The dissector state of one connection. Fields other than info are
 * private. Fixed size: embed it in the flow. */
struct smtp_state {
	struct smtp_info info;
	uint8_t cmode, smode; /* client / server modes */
	bool desync;	      /* command/reply pairing unknown */
	bool greeting_pending;
	bool server_seen;	 /* the server sent any byte */
	bool reply_after_client; /* a reply ended, client sent nothing since */
	bool line_after_reply;	 /* current client line started so */
	bool client_after_tls;	 /* client bytes after its TLS switch */
	bool client_seen;	 /* the client sent any byte */
	bool auth_open;		 /* an AUTH exchange is running */
	bool sasl_next;		 /* desync: next client line is SASL */
	bool data_assumed;	 /* body entered before the 354 */
	bool gap_in_body;
	uint8_t wait_verb; /* what cmode HOLD waits on */
	bool ehlo_refused;
	uint16_t ehlo_refused_code;
	bool last_ehlo_starttls;
	/* lines */
	struct smtp_linebuf line[2];
	/* reply being assembled */
	bool in_reply;
	uint16_t reply_code;
	bool reply_mismatch;
	uint8_t reply_verb;
	uint32_t reply_seq;
	char reply_buf[SMTP_REPLY_MAX];
	size_t reply_used;
	struct smtp_line reply_lines[SMTP_REPLY_LINES];
	unsigned reply_nlines, reply_dropped;
	/* EHLO reply being parsed */
	uint32_t ehlo_caps, ehlo_auth;
	uint64_t ehlo_size;
	bool ehlo_masked;
	char ehlo_masked_kw[9];
	char ehlo_masked_line[128];
	size_t ehlo_masked_line_len;
	/* outstanding commands */
	struct smtp_qent queue[SMTP_QUEUE_MAX];
	unsigned qhead, qlen;
	uint32_t next_seq, head_seq;
	/* client bytes held while a STARTTLS/DATA reply is outstanding */
	uint8_t hold[SMTP_HOLD_MAX];
	size_t hold_len;
	uint64_t hold_total;
	size_t pending_off, pending_len; /* TLS bytes in hold for the caller */
	/* server bytes after the 220 to STARTTLS */
	uint8_t resp_inject[SMTP_EVIDENCE_MAX];
	size_t resp_inject_kept;
	bool resp_line_start;
	/* message being transferred */
	uint8_t dstate;	      /* DATA scanner state */
	bool dot_bare_before; /* line start came after a bare LF */
	bool body_cr;	      /* last body byte was CR */
	uint64_t body_line_len;
	uint64_t bdat_left;
	bool bdat_last;
	bool msg_bdat;
	uint64_t msg_bytes;
	bool msg_headers_done;
	struct smtp_hdrparse hdr;
	bool trans_open;
	bool trans_requiretls;
	enum smtp_tlsreq trans_tlsreq;
	int trans_from; /* index in info.from, -1 if none */
	unsigned trans_rcpts;
	struct smtp_trans_snap snaps[SMTP_SNAP_MAX];
	unsigned snap_head, snap_len;
	/* AUTH in progress */
	char auth_mech[SMTP_MECH_MAX + 1];
	uint32_t auth_bit;
	unsigned auth_sasl;
};

/*
 * Starts a connection. implicit_tls: TLS from the first byte (port 465),
 * so both directions belong to the TLS dissector and smtp_feed consumes
 * nothing.
 */
void smtp_init(struct smtp_state *s, bool implicit_tls);

/*
 * Marks a connection picked up in the middle (call right after
 * smtp_init): command/reply pairing stays unknown until a client command
 * follows a complete reply, and nothing STARTTLS-related is reported before.
 */
void smtp_set_midstream(struct smtp_state *s);

/*
 * Feeds the next in-order bytes of direction dir (0 client->server,
 * 1 server->client). Returns how many of them are SMTP; the rest of the
 * buffer, and everything later in that direction, is TLS. Events are
 * delivered through cb (may be NULL) before the call returns.
 */
size_t smtp_feed(struct smtp_state *s, int dir, const uint8_t *data, size_t len,
		 const struct smtp_callbacks *cb, void *ctx);

/*
 * Bytes of direction dir that the dissector had taken in but that belong
 * to TLS (a ClientHello that arrived before the server's 220). Sets *data
 * and returns their length (0 if none); they are handed out once and stay
 * valid until the next call on s.
 */
size_t smtp_take_tls_pending(struct smtp_state *s, int dir, const uint8_t **data);

/*
 * A hole of len bytes (0: unknown size) in direction dir. Resyncs at the
 * next line without raising anything; inside a message body it keeps
 * skipping to the end of the message. Returns true when the hole lies in
 * the TLS part of the direction: then pass it to tls_gap as well.
 */
bool smtp_gap(struct smtp_state *s, int dir, size_t len, const struct smtp_callbacks *cb,
	      void *ctx);

/*
 * The connection ended: reports what was still open (server bytes injected
 * after the 220 when the client never spoke again).
 */
void smtp_finish(struct smtp_state *s, const struct smtp_callbacks *cb, void *ctx);

/* True once direction dir has switched to TLS. */
bool smtp_dir_is_tls(const struct smtp_state *s, int dir);

/* The session record so far. */
const struct smtp_info *smtp_info(const struct smtp_state *s);

/* Name of a verb ("EHLO", ..., "greeting", "end-of-data", "sasl"). */
const char *smtp_verb_name(enum smtp_verb v);

/* Name of one capability bit ("STARTTLS", ...) or NULL. */
const char *smtp_cap_name(uint32_t bit);

/* Name of one AUTH mechanism bit ("PLAIN", ...) or NULL. */
const char *smtp_auth_name(uint32_t bit);

/*
 * The masked-STARTTLS rule on one EHLO keyword (see smtp_reply.c): true
 * when kw is an 8-character stand-in for STARTTLS.
 */
bool smtp_keyword_is_masked_starttls(const char *kw, size_t len);

#endif
