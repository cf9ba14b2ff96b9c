/*
 * dns_wire.c - one DNS message from wire format to an ldns_pkt.
 *
 * The records are parsed by ldns (ldns_wire2rr), section by section, the
 * way ldns_wire2pkt does it; this file only walks the sections so it can
 * guard what ldns_wire2pkt cannot:
 *  - TSIG: ldns_wire2pkt keeps the last TSIG and leaks the others (and
 *    shortens the additional section by one per TSIG while walking it, so
 *    it skips the last records). Here every record is parsed, the first
 *    TSIG is kept and later ones are freed and flagged.
 *  - memory: ldns_wire2rdf allocates the full rdata length for every rdata
 *    field that is not a name, and does not move to the end of the rdata
 *    when a record has fewer fields than its length suggests (the next
 *    record then starts inside it). A TXT record of n empty strings costs
 *    n x rdlength bytes, nested records multiply it further. Before each
 *    record is handed to ldns its allocation is bounded from the record's
 *    type and rdata length, and the message is refused once the sum
 *    passes dns_config.max_parse_cost.
 *  - work: a message announcing more than dns_config.max_rrs records is
 *    refused from its header. ldns follows up to 65535 compression
 *    pointers per name, so one name can cost thousands of steps (a chain
 *    of pointers to pointers), and every record can name it twice: before
 *    any record is parsed, the pointers a name starting at each position
 *    of the message would follow are counted (once per position), and a
 *    message where one follows more than PTR_HOPS_MAX is refused.
 */
#include "dns_int.h"

#include <stdlib.h>
#include <string.h>

/* Bound of what ldns allocates for a record besides its rdata fields: the
   ldns_rr, its owner name (at most 255 bytes), list slots, malloc
   overhead. */
#define RR_BASE_COST 512
/* Per rdata field: the ldns_rdf, its slot in the record, malloc overhead. */
#define RDF_OVERHEAD 64
/* A name field is allocated at its own length: at most 255 bytes. */
#define NAME_RDF_COST (LDNS_MAX_DOMAINLEN + 1 + RDF_OVERHEAD)

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/*
 * Position after the (possibly compressed) name at pos, where ldns's
 * ldns_wire2dname leaves it: after the root label, or after the first
 * compression pointer. False exactly where ldns_wire2dname fails for lack
 * of bytes or a bad label length (it may fail on more: loops, length).
 */
static bool name_end(const uint8_t *w, size_t len, size_t pos, size_t *end)
{
	while (pos < len) {
		uint8_t b = w[pos];

		if (b == 0) {
			*end = pos + 1;
			return true;
		}
		if (b >= 0xc0) {
			if (len - pos < 2)
				return false;
			*end = pos + 2;
			return true;
		}
		if (b > LDNS_MAX_LABELLEN)
			return false;
		pos += 1 + (size_t)b;
	}
	return false;
}

/* Compression pointers a name may follow: a name of at most 255 bytes has
   at most 127 labels, and real compressors put at most one pointer after
   each run of labels. Only pointers to pointers need more. */
#define PTR_HOPS_MAX 128
/* Messages up to this length are checked with tables on the stack. */
#define WALK_STACK_LEN 4096

/* States of a position in walk_table (below WALK_BASE), or WALK_BASE +
   the pointers a name starting there follows. */
#define WALK_NEW  0 /* not looked at */
#define WALK_PATH 1 /* on the walk being followed */
#define WALK_DEAD 2 /* ldns refuses any name through here (error or loop) */
#define WALK_BASE 3

/*
 * Where ldns_wire2dname goes from position p: true and the next position
 * (always < len), or false when the name ends at p: *ok for the root
 * label, !*ok where ldns refuses it (bad label length, pointer to 0 or
 * past the end, bytes missing).
 */
static bool walk_next(const uint8_t *w, size_t len, size_t p, size_t *next, bool *ok)
{
	uint8_t b = w[p];

	*ok = true;
	if (b == 0)
		return false;
	*ok = false;
	if (b >= 0xc0) {
		size_t t;

		if (len - p < 2)
			return false;
		t = (size_t)(b & 0x3f) << 8 | w[p + 1];
		if (t == 0 || t >= len)
			return false;
		*next = t;
		return true;
	}
	if (b > LDNS_MAX_LABELLEN || len - p <= 1 + (size_t)b)
		return false;
	*next = p + 1 + b;
	return true;
}

/*
 * True when a name starting at any position of the message follows at
 * most PTR_HOPS_MAX compression pointers before its root label, or is one
 * ldns refuses anyway (a loop, a bad label or pointer). hops and path
 * hold len entries. Every position is followed once, so this is linear.
 * Labels are not counted: ldns refuses a name after 127 of them.
 */
static bool walk_table(const uint8_t *w, size_t len, uint8_t *hops, uint16_t *path)
{
	memset(hops, WALK_NEW, len);
	for (size_t start = 0; start < len; start++) {
		size_t depth = 0, p = start, next;
		unsigned k = 0; /* pointers after the walk's end */
		bool dead = false, ok;

		if (hops[start] != WALK_NEW)
			continue;
		for (;;) {
			if (hops[p] >= WALK_BASE) {
				k = hops[p] - WALK_BASE;
				break;
			}
			if (hops[p] != WALK_NEW) { /* WALK_DEAD, or a loop */
				dead = true;
				break;
			}
			path[depth++] = (uint16_t)p;
			hops[p] = WALK_PATH;
			if (!walk_next(w, len, p, &next, &ok)) {
				dead = !ok;
				break;
			}
			p = next;
		}
		/* number the walk back from its end */
		while (depth > 0) {
			size_t q = path[--depth];

			if (dead) {
				hops[q] = WALK_DEAD;
				continue;
			}
			if (w[q] >= 0xc0 && ++k > PTR_HOPS_MAX)
				return false;
			hops[q] = (uint8_t)(WALK_BASE + k);
		}
	}
	return true;
}

/* walk_table with its tables on the stack or, for a long message, the
   heap. 1: fine, 0: too much work, -1: out of memory. */
static int name_walk_check(const uint8_t *w, size_t len)
{
	uint8_t hops[WALK_STACK_LEN];
	uint16_t path[WALK_STACK_LEN];
	uint8_t *heap;
	bool ok;

	if (len <= WALK_STACK_LEN)
		return walk_table(w, len, hops, path) ? 1 : 0;
	/* path first: malloc's alignment suits it */
	heap = malloc(len * (sizeof(uint16_t) + sizeof(uint8_t)));
	if (heap == NULL)
		return -1;
	ok = walk_table(w, len, heap + len * sizeof(uint16_t), (uint16_t *)(void *)heap);
	free(heap);
	return ok ? 1 : 0;
}

/* What ldns allocates for one rdata field of type t in rdata of rdlen. */
static size_t field_cost(ldns_rdf_type t, size_t rdlen)
{
	if (t == LDNS_RDF_TYPE_DNAME)
		return NAME_RDF_COST;
	return rdlen + RDF_OVERHEAD;
}

/* Character-strings ldns splits [p, end) into (each is length + bytes). */
static size_t count_strings(const uint8_t *w, size_t p, size_t end)
{
	size_t n = 0;

	while (p < end) {
		n++;
		p += 1 + (size_t)w[p];
	}
	return n;
}

/*
 * Upper bound of the bytes ldns_wire2rr allocates for the record at pos.
 * Where ldns will fail before reaching the rdata (name, fixed fields or
 * rdata cut short) only the base cost applies.
 */
static size_t rr_cost(const uint8_t *w, size_t len, size_t pos, bool question)
{
	const ldns_rr_descriptor *d;
	size_t p, rdlen, cost = RR_BASE_COST, n;

	if (question || !name_end(w, len, pos, &p) || len - p < 10)
		return cost;
	d = ldns_rr_descript(rd16(w + p));
	rdlen = rd16(w + p + 8);
	p += 10;
	if (rdlen > len - p || d == NULL)
		return cost;
	for (size_t i = 0; i < d->_maximum; i++)
		cost += field_cost(d->_wireformat[i], rdlen);
	if (d->_variable != LDNS_RDF_TYPE_NONE) {
		/* TXT-like: one field per character-string; otherwise each
		   field takes at least one byte */
		if (d->_variable == LDNS_RDF_TYPE_STR && d->_maximum == 0)
			n = count_strings(w, p, p + rdlen);
		else
			n = rdlen;
		cost += n * field_cost(d->_variable, rdlen);
	}
	return cost;
}

/* ldns's status for a record cut short in each section, as ldns_wire2pkt. */
static ldns_status incomplete_status(int sec)
{
	static const ldns_status st[4] = {
	    LDNS_STATUS_WIRE_INCOMPLETE_QUESTION,
	    LDNS_STATUS_WIRE_INCOMPLETE_ANSWER,
	    LDNS_STATUS_WIRE_INCOMPLETE_AUTHORITY,
	    LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL,
	};
	return st[sec];
}

/* Takes the EDNS values of an OPT record into pkt, as ldns_wire2pkt. */
static bool apply_opt(ldns_pkt *pkt, const ldns_rr *rr, struct dns_wire_info *info)
{
	uint32_t ttl = ldns_rr_ttl(rr);
	const ldns_rdf *data = ldns_rr_rdf(rr, 0);

	if (info->edns)
		info->anomalies |= DNS_ANOM_MULTI_OPT;
	info->edns = true;
	ldns_pkt_set_edns_udp_size(pkt, (uint16_t)ldns_rr_get_class(rr));
	ldns_pkt_set_edns_extended_rcode(pkt, (uint8_t)(ttl >> 24));
	ldns_pkt_set_edns_version(pkt, (uint8_t)(ttl >> 16));
	ldns_pkt_set_edns_z(pkt, (uint16_t)ttl);
	if (data != NULL) {
		ldns_rdf *copy = ldns_rdf_clone(data);

		if (copy == NULL)
			return false;
		ldns_rdf_deep_free(ldns_pkt_edns_data(pkt));
		ldns_pkt_set_edns_data(pkt, copy);
	}
	/* ldns has no setter for this flag; ldns_wire2pkt sets it the same
	   way, so that ldns_pkt_edns() holds even for an all-zero OPT */
	pkt->_edns_present = 1;
	return true;
}

/*
 * Files record rr of section sec into pkt (OPT and TSIG of the additional
 * section as ldns_wire2pkt does, except that only the first TSIG is kept).
 * Takes ownership of rr. False on allocation failure.
 */
static bool place_rr(ldns_pkt *pkt, int sec, ldns_rr *rr, struct dns_wire_info *info,
		     bool *tsig_seen)
{
	ldns_rr_list *list;
	bool ok;

	if (sec == 3) {
		if (*tsig_seen)
			info->anomalies |= DNS_ANOM_TSIG_NOT_LAST;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT) {
			ok = apply_opt(pkt, rr, info);
			ldns_rr_free(rr);
			return ok;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TSIG) {
			*tsig_seen = true;
			if (ldns_pkt_tsig(pkt) == NULL) {
				ldns_pkt_set_tsig(pkt, rr);
			} else {
				info->anomalies |= DNS_ANOM_MULTI_TSIG;
				ldns_rr_free(rr);
			}
			return true;
		}
	}
	switch (sec) {
	case 0:
		list = ldns_pkt_question(pkt);
		break;
	case 1:
		list = ldns_pkt_answer(pkt);
		break;
	case 2:
		list = ldns_pkt_authority(pkt);
		break;
	default:
		list = ldns_pkt_additional(pkt);
		break;
	}
	if (list == NULL || !ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return false;
	}
	return true;
}

/* Header fields (the 12 bytes are there) into pkt. */
static void set_header(ldns_pkt *pkt, const uint8_t *w)
{
	ldns_pkt_set_id(pkt, LDNS_ID_WIRE(w));
	ldns_pkt_set_qr(pkt, LDNS_QR_WIRE(w));
	ldns_pkt_set_opcode(pkt, (ldns_pkt_opcode)LDNS_OPCODE_WIRE(w));
	ldns_pkt_set_aa(pkt, LDNS_AA_WIRE(w));
	ldns_pkt_set_tc(pkt, LDNS_TC_WIRE(w));
	ldns_pkt_set_rd(pkt, LDNS_RD_WIRE(w));
	ldns_pkt_set_ra(pkt, LDNS_RA_WIRE(w));
	ldns_pkt_set_ad(pkt, LDNS_AD_WIRE(w));
	ldns_pkt_set_cd(pkt, LDNS_CD_WIRE(w));
	ldns_pkt_set_rcode(pkt, (uint8_t)LDNS_RCODE_WIRE(w));
}

static ldns_pkt *fail(ldns_pkt *pkt, struct dns_wire_info *info, enum dns_malformed_reason reason,
		      ldns_status status)
{
	ldns_pkt_free(pkt);
	info->reason = reason;
	info->status = status;
	return NULL;
}

ldns_pkt *dns_wire_parse(const struct dns_config *cfg, const uint8_t *wire, size_t len,
			 struct dns_wire_info *info)
{
	static const ldns_pkt_section sections[4] = {
	    LDNS_SECTION_QUESTION,
	    LDNS_SECTION_ANSWER,
	    LDNS_SECTION_AUTHORITY,
	    LDNS_SECTION_ADDITIONAL,
	};
	uint16_t count[4];
	size_t pos = DNS_HEADER_LEN, cost = 0, total = 0;
	bool tsig_seen = false;
	ldns_pkt *pkt;
	int walk;

	memset(info, 0, sizeof(*info));
	if (len < DNS_HEADER_LEN)
		return fail(NULL, info, DNS_MAL_SHORT_HEADER, LDNS_STATUS_WIRE_INCOMPLETE_HEADER);
	if (len > DNS_MSG_MAX)
		return fail(NULL, info, DNS_MAL_OVERSIZE, LDNS_STATUS_OK);
	for (int s = 0; s < 4; s++) {
		count[s] = rd16(wire + 4 + 2 * s);
		total += count[s];
	}
	if (total > cfg->max_rrs)
		return fail(NULL, info, DNS_MAL_TOO_MANY_RRS, LDNS_STATUS_OK);
	walk = name_walk_check(wire, len);
	if (walk < 0)
		return fail(NULL, info, DNS_MAL_ALLOC, LDNS_STATUS_MEM_ERR);
	if (walk == 0)
		return fail(NULL, info, DNS_MAL_NAME_WORK, LDNS_STATUS_OK);

	pkt = ldns_pkt_new();
	if (pkt == NULL)
		return fail(NULL, info, DNS_MAL_ALLOC, LDNS_STATUS_MEM_ERR);
	set_header(pkt, wire);

	for (int s = 0; s < 4; s++) {
		for (unsigned i = 0; i < count[s]; i++) {
			ldns_rr *rr = NULL;
			ldns_status st;

			cost += rr_cost(wire, len, pos, s == 0);
			if (cost > cfg->max_parse_cost)
				return fail(pkt, info, DNS_MAL_COST, LDNS_STATUS_OK);
			st = ldns_wire2rr(&rr, wire, len, &pos, sections[s]);
			if (st == LDNS_STATUS_PACKET_OVERFLOW)
				st = incomplete_status(s);
			if (st == LDNS_STATUS_MEM_ERR)
				return fail(pkt, info, DNS_MAL_ALLOC, st);
			if (st != LDNS_STATUS_OK)
				return fail(pkt, info, DNS_MAL_PARSE, st);
			if (!place_rr(pkt, s, rr, info, &tsig_seen))
				return fail(pkt, info, DNS_MAL_ALLOC, LDNS_STATUS_MEM_ERR);
		}
	}
	ldns_pkt_set_qdcount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_question(pkt)));
	ldns_pkt_set_ancount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_answer(pkt)));
	ldns_pkt_set_nscount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_authority(pkt)));
	ldns_pkt_set_arcount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_additional(pkt)));
	ldns_pkt_set_size(pkt, len);
	return pkt;
}
