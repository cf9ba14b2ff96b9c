/*
 * correlate_state.c - the facts of correlate_state.h: each change of the
 * expectation store or the DNSSEC zone cache becomes one state fact whose
 * value is a small JSON object (written here by hand, read back with
 * jansson), and each loaded or polled fact is decoded and put back.
 *
 * Value layouts (times in microseconds of packet time):
 *   mx            {"trust","expires_us","mx":[[pref,"host"],...]}
 *                 (every expectation: "resolver" as well when trust is resolver-ad)
 *   addrs         {"trust","expires_us","addrs":["192.0.2.1",...]}
 *   tlsa          {"trust","expires_us","last_seen_us","sightings",
 *                  "records":[[usage,selector,mtype,"hex"],...]}
 *   mta-sts       {"trust","expires_us","last_seen_us","sightings","id"}
 *   history       {"sessions","starttls_offers","starttls_streak",
 *                  "starttls_last_us","max_tls_version","version_sightings",
 *                  "version_last_us","last_seen_us","spki_last_us",
 *                  "spki_sha256":["hex",...]}
 *   hosts-of-addr, mx-claims  {"names":[...]}
 *   dnskey, ds    {"expires_us","rrs":["zone-file line",...]} (+ "usable" for ds,
 *                 + "vouched_by" for keys on a resolver's AD bit)
 *   insecure      {"expires_us"}
 *   resolver-ad   {"first_us","last_us","answers"} (key: "zone resolver")
 */
#include "correlate/correlate_state.h"
#include "correlate/correlate_locked.h"

#include "correlate/resolver_ad.h"
#include "dnssec/dnssec.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct handler {
	state_apply_fn fn;
	void *arg;
};

struct correlate_state_link {
	/* the views of the entry point loading or polling facts; NULL otherwise */
	struct corr_locked *l;
	struct corr_vlocked *v;
	struct state *st;
	struct handler handlers[STATE_KIND_END];
};

/* A growing text buffer; a failed allocation marks it failed. */
struct jbuf {
	char *b;
	size_t n, cap;
	bool failed;
};

static void jb_put(struct jbuf *j, const char *s, size_t len)
{
	if (j->failed)
		return;
	if (j->n + len + 1 > j->cap) {
		size_t cap = MX_MAX(j->cap * 2, j->n + len + 256);
		char *b = realloc(j->b, cap);

		if (b == NULL) {
			j->failed = true;
			return;
		}
		j->b = b;
		j->cap = cap;
	}
	memcpy(j->b + j->n, s, len);
	j->n += len;
	j->b[j->n] = '\0';
}

__attribute__((format(printf, 2, 3))) static void jb_printf(struct jbuf *j, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		j->failed = true;
	else
		jb_put(j, tmp, (size_t)n);
}

/* A JSON string; bytes outside printable ASCII mark the buffer failed (names are ASCII). */
static void jb_str(struct jbuf *j, const char *s)
{
	jb_put(j, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			char esc[2] = {'\\', (char)ch};

			jb_put(j, esc, 2);
		} else if (ch < 0x20 || ch >= 0x7f) {
			j->failed = true; /* names are presentation form: ASCII */
		} else {
			jb_put(j, (const char *)&ch, 1);
		}
	}
	jb_put(j, "\"", 1);
}

static void jb_key(struct jbuf *j, const char *k)
{
	if (j->n > 1)
		jb_put(j, ",", 1);
	jb_str(j, k);
	jb_put(j, ":", 1);
}

static void jb_u64(struct jbuf *j, const char *k, uint64_t v)
{
	jb_key(j, k);
	jb_printf(j, "%llu", (unsigned long long)v);
}

/* The trust, and for resolver-ad the resolver that vouched. */
static void jb_trust(struct jbuf *j, enum expect_trust t, const struct mx_addr *resolver)
{
	char a[64];

	jb_key(j, "trust");
	jb_str(j, expect_trust_name(t));
	if (t == EXPECT_RESOLVER_AD) {
		jb_key(j, "resolver");
		jb_str(j, mx_addr_str(resolver, a, sizeof(a)));
	}
}

static bool trust_parse(const char *s, enum expect_trust *t)
{
	for (unsigned i = 0; i < 32; i++) {
		const char *n = expect_trust_name((enum expect_trust)i);

		if (strcmp(n, "unknown") == 0)
			break;
		if (strcmp(n, s) == 0) {
			*t = (enum expect_trust)i;
			return true;
		}
	}
	return false;
}

static void jb_names(struct jbuf *j, const struct expect_names *r)
{
	jb_key(j, "names");
	jb_put(j, "[", 1);
	for (size_t i = 0; i < r->n && i < EXPECT_NAMES_MAX; i++) {
		if (i > 0)
			jb_put(j, ",", 1);
		jb_str(j, r->name[i]);
	}
	jb_put(j, "]", 1);
}

/* The value, key, source and trust of an expectation fact. */
static void encode_expect(const struct expect_fact *f, struct jbuf *j, struct state_fact *sf)
{
	char a[64];

	switch (f->kind) {
	case EXPECT_F_MX: {
		const struct expect_mxset *m = f->value;

		sf->kind = STATE_MX;
		jb_trust(j, m->trust, &m->resolver);
		jb_u64(j, "expires_us", m->expires_us);
		jb_key(j, "mx");
		jb_put(j, "[", 1);
		for (size_t i = 0; i < m->n && i < EXPECT_MAX_MX; i++) {
			jb_printf(j, "%s[%u,", i > 0 ? "," : "", m->mx[i].pref);
			jb_str(j, m->mx[i].host);
			jb_put(j, "]", 1);
		}
		jb_put(j, "]", 1);
		mx_strlcpy(sf->source, "DNS MX answer", sizeof(sf->source));
		mx_strlcpy(sf->trust, expect_trust_name(m->trust), sizeof(sf->trust));
		break;
	}
	case EXPECT_F_ADDRS: {
		const struct expect_addrs *ad = f->value;

		sf->kind = STATE_ADDRS;
		jb_trust(j, ad->trust, &ad->resolver);
		jb_u64(j, "expires_us", ad->expires_us);
		jb_key(j, "addrs");
		jb_put(j, "[", 1);
		for (size_t i = 0; i < ad->n && i < EXPECT_MAX_ADDRS; i++) {
			if (i > 0)
				jb_put(j, ",", 1);
			jb_str(j, mx_addr_str(&ad->addr[i], a, sizeof(a)));
		}
		jb_put(j, "]", 1);
		mx_strlcpy(sf->source, "DNS A/AAAA answer", sizeof(sf->source));
		mx_strlcpy(sf->trust, expect_trust_name(ad->trust), sizeof(sf->trust));
		break;
	}
	case EXPECT_F_TLSA: {
		const struct expect_tlsa *t = f->value;

		sf->kind = STATE_TLSA;
		jb_trust(j, t->trust, &t->resolver);
		jb_u64(j, "expires_us", t->expires_us);
		jb_u64(j, "last_seen_us", t->last_seen_us);
		jb_u64(j, "sightings", t->sightings);
		jb_key(j, "records");
		jb_put(j, "[", 1);
		for (size_t i = 0; i < t->n && i < EXPECT_MAX_TLSA; i++) {
			char hex[2 * EXPECT_TLSA_DATA_MAX + 1];
			const struct tlsa_record *r = &t->rec[i];

			mx_hex(r->data, MX_MIN(r->len, EXPECT_TLSA_DATA_MAX), hex, sizeof(hex), 0);
			jb_printf(j, "%s[%u,%u,%u,", i > 0 ? "," : "", r->usage, r->selector,
				  r->mtype);
			jb_str(j, hex);
			jb_put(j, "]", 1);
		}
		jb_put(j, "]", 1);
		mx_strlcpy(sf->source, "DNS TLSA answer", sizeof(sf->source));
		mx_strlcpy(sf->trust, expect_trust_name(t->trust), sizeof(sf->trust));
		break;
	}
	case EXPECT_F_STS: {
		const struct expect_sts *s = f->value;

		sf->kind = STATE_STS;
		jb_trust(j, s->trust, &s->resolver);
		jb_u64(j, "expires_us", s->expires_us);
		jb_u64(j, "last_seen_us", s->last_seen_us);
		jb_u64(j, "sightings", s->sightings);
		jb_key(j, "id");
		jb_str(j, s->id);
		mx_strlcpy(sf->source, "DNS _mta-sts TXT answer", sizeof(sf->source));
		mx_strlcpy(sf->trust, expect_trust_name(s->trust), sizeof(sf->trust));
		break;
	}
	case EXPECT_F_HISTORY: {
		const struct server_history *h = f->value;

		sf->kind = STATE_HISTORY;
		jb_u64(j, "sessions", h->sessions);
		jb_u64(j, "starttls_offers", h->starttls_offers);
		jb_u64(j, "starttls_streak", h->starttls_streak);
		jb_u64(j, "starttls_last_us", h->starttls_last_us);
		jb_u64(j, "max_tls_version", h->max_tls_version);
		jb_u64(j, "version_sightings", h->version_sightings);
		jb_u64(j, "version_last_us", h->version_last_us);
		jb_u64(j, "last_seen_us", h->last_seen_us);
		jb_u64(j, "spki_last_us", h->spki_last_us);
		jb_key(j, "spki_sha256");
		jb_put(j, "[", 1);
		for (size_t i = 0; i < h->n_spki && i < EXPECT_SPKI_MAX; i++) {
			char hex[65];

			mx_hex(h->spki_sha256[i], 32, hex, sizeof(hex), 0);
			if (i > 0)
				jb_put(j, ",", 1);
			jb_str(j, hex);
		}
		jb_put(j, "]", 1);
		mx_strlcpy(sf->source, "SMTP sessions seen", sizeof(sf->source));
		mx_strlcpy(sf->trust, "history", sizeof(sf->trust));
		break;
	}
	case EXPECT_F_HOSTS_OF_ADDR:
		sf->kind = STATE_HOSTS_OF_ADDR;
		jb_names(j, f->value);
		mx_strlcpy(sf->source, "DNS A/AAAA answers", sizeof(sf->source));
		mx_strlcpy(sf->trust, "index", sizeof(sf->trust));
		break;
	case EXPECT_F_MX_CLAIMS:
		sf->kind = STATE_MX_CLAIMS;
		jb_names(j, f->value);
		mx_strlcpy(sf->source, "DNS MX answers, believed or not", sizeof(sf->source));
		mx_strlcpy(sf->trust, "claim", sizeof(sf->trust));
		break;
	}
	if (f->kind == EXPECT_F_HISTORY || f->kind == EXPECT_F_HOSTS_OF_ADDR)
		mx_addr_str(&f->addr, sf->key, sizeof(sf->key));
	else if (f->kind == EXPECT_F_TLSA)
		snprintf(sf->key, sizeof(sf->key), "%s:%u", f->name, f->port);
	else
		mx_strlcpy(sf->key, f->name, sizeof(sf->key));
}

static void put_value(struct correlate_state_link *l, struct jbuf *j, struct state_fact *sf)
{
	jb_put(j, "}", 1);
	if (!j->failed && sf->kind != 0) {
		sf->value = j->b;
		sf->value_len = j->n;
		state_put(l->st, sf);
	}
	free(j->b);
}

static void observe_expect(void *arg, const struct expect_fact *f)
{
	struct correlate_state_link *l = arg;
	struct jbuf j = {NULL, 0, 0, false};
	struct state_fact sf;

	memset(&sf, 0, sizeof(sf));
	jb_put(&j, "{", 1);
	encode_expect(f, &j, &sf);
	sf.learned_us = f->touched_us;
	sf.expires_us = f->keep_until_us;
	put_value(l, &j, &sf);
}

static void observe_dnssec(void *arg, const struct dnssec_fact *f)
{
	static const enum state_kind kinds[] = {
	    [DNSSEC_F_KEYS] = STATE_DNSKEY,
	    [DNSSEC_F_DS] = STATE_DS,
	    [DNSSEC_F_INSECURE] = STATE_INSECURE,
	};
	struct correlate_state_link *l = arg;
	struct jbuf j = {NULL, 0, 0, false};
	struct state_fact sf;

	memset(&sf, 0, sizeof(sf));
	sf.kind = kinds[f->kind];
	mx_strlcpy(sf.key, f->zone, sizeof(sf.key));
	sf.learned_us = f->learned_us;
	sf.expires_us = f->expires_us;
	mx_strlcpy(sf.source,
		   f->kind == DNSSEC_F_INSECURE ? "DNSSEC denial of DS validated by the sensor"
		   : f->vouched			? "DNSSEC keys on a resolver's AD bit"
						: "DNSSEC chain validated by the sensor",
		   sizeof(sf.source));
	mx_strlcpy(sf.trust, f->vouched ? "resolver-ad" : "dnssec", sizeof(sf.trust));
	jb_put(&j, "{", 1);
	jb_u64(&j, "expires_us", f->expires_us);
	if (f->vouched) {
		char addr[64];

		jb_key(&j, "vouched_by");
		jb_str(&j, mx_addr_str(&f->voucher, addr, sizeof(addr)));
	}
	if (f->kind == DNSSEC_F_DS) {
		jb_key(&j, "usable");
		jb_put(&j, f->ds_usable ? "true" : "false", f->ds_usable ? 4 : 5);
	}
	if (f->rrs != NULL) {
		jb_key(&j, "rrs");
		jb_put(&j, "[", 1);
		for (size_t i = 0; i < ldns_rr_list_rr_count(f->rrs); i++) {
			char *s = ldns_rr2str(ldns_rr_list_rr(f->rrs, i));
			size_t n;

			if (s == NULL) {
				j.failed = true;
				break;
			}
			n = strlen(s);
			while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
				s[--n] = '\0';
			for (char *p = s; *p != '\0'; p++)
				if (*p == '\t')
					*p = ' ';
			if (i > 0)
				jb_put(&j, ",", 1);
			jb_str(&j, s);
			free(s);
		}
		jb_put(&j, "]", 1);
	}
	put_value(l, &j, &sf);
}

static struct correlate_state_link *link_in(struct correlate_state_link **slot, bool create)
{
	if (*slot == NULL && create)
		*slot = calloc(1, sizeof(**slot));
	return *slot;
}

static struct correlate_state_link *link_of(struct correlate *c, bool create)
{
	return link_in(correlate_state_slot(c), create);
}

/* Under both locks: mirrors the stores' changes into st (NULL: stop). */
static void attach(struct corr_locked *cl, struct corr_vlocked *cv, struct state *st)
{
	struct correlate_state_link *l = link_in(corr_state_slot(cl), st != NULL);

	if (l == NULL)
		return;
	l->st = st;
	expect_set_observer(corr_expect(cl), st != NULL ? observe_expect : NULL, l);
	dnssec_set_observer(corr_v_dnssec(cv), st != NULL ? observe_dnssec : NULL, l);
}

void correlate_attach_state(struct correlate *c, struct state *st)
{
	struct corr_locked *cl = correlate_enter(c, NULL);
	struct corr_vlocked *cv = correlate_validator_enter(c);

	attach(cl, cv, st);
	correlate_validator_leave(c);
	correlate_leave(c);
}

void corr_state_put_resolver_ad(struct corr_locked *cl, const struct resolver_ad_obs *o)
{
	struct correlate_state_link *l = link_in(corr_state_slot(cl), false);
	const struct correlate_config *cc = corr_config(cl);
	struct jbuf j = {NULL, 0, 0, false};
	struct state_fact sf;
	char addr[64];

	if (l == NULL || l->st == NULL)
		return;
	memset(&sf, 0, sizeof(sf));
	sf.kind = STATE_RESOLVER_AD;
	snprintf(sf.key, sizeof(sf.key), "%s %s", o->zone,
		 mx_addr_str(&o->resolver, addr, sizeof(addr)));
	jb_put(&j, "{", 1);
	jb_u64(&j, "first_us", o->first_ad_us);
	jb_u64(&j, "last_us", o->last_ad_us);
	jb_u64(&j, "answers", o->ad_answers);
	sf.learned_us = o->last_ad_us;
	sf.expires_us = o->last_ad_us + cc->expect.history_s * MX_USEC;
	mx_strlcpy(sf.source, "DNS answer with AD=1", sizeof(sf.source));
	mx_strlcpy(sf.trust, "resolver-ad", sizeof(sf.trust));
	put_value(l, &j, &sf);
}

void correlate_state_put_resolver_ad(struct correlate *c, const struct resolver_ad_obs *o)
{
	struct corr_locked *cl = correlate_enter(c, NULL);

	corr_state_put_resolver_ad(cl, o);
	correlate_leave(c);
}

/* Decoding. */

static uint64_t ju64(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool jtrust(json_t *o, enum expect_trust *t, struct mx_addr *resolver)
{
	const char *s = jstr(o, "trust"), *r = jstr(o, "resolver");

	if (s == NULL || !trust_parse(s, t))
		return false;
	return *t != EXPECT_RESOLVER_AD || (r != NULL && mx_addr_parse(resolver, r));
}

static bool decode_names(json_t *o, struct expect_names *r)
{
	json_t *a = json_object_get(o, "names"), *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_array(a))
		return false;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || r->n >= EXPECT_NAMES_MAX)
			return false;
		mx_strlcpy(r->name[r->n++], json_string_value(v), EXPECT_NAME_MAX);
	}
	return true;
}

static bool hex_decode(const char *s, uint8_t *out, size_t max, uint8_t *len)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > max)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	*len = (uint8_t)(n / 2);
	return true;
}

/* Decodes an expectation value into its struct; key parts into f. */
static bool decode_expect(const struct state_fact *sf, json_t *o, struct expect_fact *f, void *val,
			  char name[STATE_KEY_MAX])
{
	json_t *a, *v;
	size_t i;

	mx_strlcpy(name, sf->key, STATE_KEY_MAX);
	f->name = name;
	f->value = val;
	switch (sf->kind) {
	case STATE_MX: {
		struct expect_mxset *m = val;

		f->kind = EXPECT_F_MX;
		m->expires_us = ju64(o, "expires_us");
		a = json_object_get(o, "mx");
		if (!jtrust(o, &m->trust, &m->resolver) || !json_is_array(a))
			return false;
		json_array_foreach(a, i, v)
		{
			json_t *h = json_array_get(v, 1);

			if (m->n >= EXPECT_MAX_MX || !json_is_string(h))
				return false;
			m->mx[m->n].pref = (uint16_t)json_integer_value(json_array_get(v, 0));
			mx_strlcpy(m->mx[m->n++].host, json_string_value(h), EXPECT_NAME_MAX);
		}
		return true;
	}
	case STATE_ADDRS: {
		struct expect_addrs *ad = val;

		f->kind = EXPECT_F_ADDRS;
		ad->expires_us = ju64(o, "expires_us");
		a = json_object_get(o, "addrs");
		if (!jtrust(o, &ad->trust, &ad->resolver) || !json_is_array(a))
			return false;
		json_array_foreach(a, i, v)
		{
			if (ad->n >= EXPECT_MAX_ADDRS || !json_is_string(v) ||
			    !mx_addr_parse(&ad->addr[ad->n++], json_string_value(v)))
				return false;
		}
		return true;
	}
	case STATE_TLSA: {
		struct expect_tlsa *t = val;
		char *colon = strrchr(name, ':');

		f->kind = EXPECT_F_TLSA;
		if (colon == NULL)
			return false;
		*colon = '\0';
		f->port = (uint16_t)strtoul(colon + 1, NULL, 10);
		t->expires_us = ju64(o, "expires_us");
		t->last_seen_us = ju64(o, "last_seen_us");
		t->sightings = (uint32_t)ju64(o, "sightings");
		a = json_object_get(o, "records");
		if (!jtrust(o, &t->trust, &t->resolver) || !json_is_array(a))
			return false;
		json_array_foreach(a, i, v)
		{
			struct tlsa_record *r = &t->rec[t->n];
			json_t *d = json_array_get(v, 3);

			if (t->n >= EXPECT_MAX_TLSA || !json_is_string(d))
				return false;
			r->usage = (uint8_t)json_integer_value(json_array_get(v, 0));
			r->selector = (uint8_t)json_integer_value(json_array_get(v, 1));
			r->mtype = (uint8_t)json_integer_value(json_array_get(v, 2));
			if (!hex_decode(json_string_value(d), r->data, EXPECT_TLSA_DATA_MAX,
					&r->len))
				return false;
			t->n++;
		}
		return true;
	}
	case STATE_STS: {
		struct expect_sts *s = val;
		const char *id = jstr(o, "id");

		f->kind = EXPECT_F_STS;
		s->expires_us = ju64(o, "expires_us");
		s->last_seen_us = ju64(o, "last_seen_us");
		s->sightings = (uint32_t)ju64(o, "sightings");
		if (!jtrust(o, &s->trust, &s->resolver) || id == NULL)
			return false;
		mx_strlcpy(s->id, id, sizeof(s->id));
		return true;
	}
	case STATE_HISTORY: {
		struct server_history *h = val;

		f->kind = EXPECT_F_HISTORY;
		h->sessions = (uint32_t)ju64(o, "sessions");
		h->starttls_offers = (uint32_t)ju64(o, "starttls_offers");
		h->starttls_streak = (uint32_t)ju64(o, "starttls_streak");
		h->starttls_last_us = ju64(o, "starttls_last_us");
		h->max_tls_version = (uint16_t)ju64(o, "max_tls_version");
		h->version_sightings = (uint32_t)ju64(o, "version_sightings");
		h->version_last_us = ju64(o, "version_last_us");
		h->last_seen_us = ju64(o, "last_seen_us");
		h->spki_last_us = ju64(o, "spki_last_us");
		a = json_object_get(o, "spki_sha256");
		json_array_foreach(a, i, v)
		{
			uint8_t len = 0;

			if (h->n_spki >= EXPECT_SPKI_MAX || !json_is_string(v) ||
			    !hex_decode(json_string_value(v), h->spki_sha256[h->n_spki], 32,
					&len) ||
			    len != 32)
				return false;
			h->n_spki++;
		}
		return mx_addr_parse(&f->addr, sf->key);
	}
	case STATE_HOSTS_OF_ADDR:
		f->kind = EXPECT_F_HOSTS_OF_ADDR;
		return mx_addr_parse(&f->addr, sf->key) && decode_names(o, val);
	case STATE_MX_CLAIMS:
		f->kind = EXPECT_F_MX_CLAIMS;
		return decode_names(o, val);
	default:
		return false;
	}
}

static bool apply_dnssec(struct correlate_state_link *l, const struct state_fact *sf, json_t *o)
{
	struct dnssec_fact f;
	ldns_rr_list *rrs = NULL;
	json_t *a = json_object_get(o, "rrs"), *v;
	size_t i;
	bool ok = true;

	memset(&f, 0, sizeof(f));
	f.kind = sf->kind == STATE_DNSKEY ? DNSSEC_F_KEYS
		 : sf->kind == STATE_DS	  ? DNSSEC_F_DS
					  : DNSSEC_F_INSECURE;
	mx_strlcpy(f.zone, sf->key, sizeof(f.zone));
	f.learned_us = sf->learned_us;
	f.expires_us = ju64(o, "expires_us");
	f.ds_usable = json_is_true(json_object_get(o, "usable"));
	if (jstr(o, "vouched_by") != NULL) {
		/* Keys on a resolver's word count only while its AD bit does. */
		f.vouched = true;
		if (!mx_addr_parse(&f.voucher, jstr(o, "vouched_by")) ||
		    corr_ad_verdict(l->l, &f.voucher) != RESOLVER_AD_COUNTS)
			return false;
	}
	if (f.kind != DNSSEC_F_INSECURE) {
		if (!json_is_array(a) || (rrs = ldns_rr_list_new()) == NULL)
			return false;
		json_array_foreach(a, i, v)
		{
			ldns_rr *rr = NULL;

			if (!json_is_string(v) ||
			    ldns_rr_new_frm_str(&rr, json_string_value(v), 0, NULL, NULL) !=
				LDNS_STATUS_OK ||
			    !ldns_rr_list_push_rr(rrs, rr)) {
				ldns_rr_free(rr);
				ok = false;
				break;
			}
		}
		f.rrs = rrs;
	}
	ok = ok && dnssec_restore(corr_v_dnssec(l->v), &f);
	ldns_rr_list_deep_free(rrs);
	return ok;
}

/* Puts one resolver-AD observation back into the stage's table. */
static bool apply_resolver_ad(struct correlate_state_link *l, const struct state_fact *sf,
			      json_t *o)
{
	struct resolver_ad_obs obs;
	char zone[RESOLVER_AD_ZONE_MAX], resolver[64];

	memset(&obs, 0, sizeof(obs));
	if (sscanf(sf->key, "%255s %63s", zone, resolver) != 2 ||
	    !mx_addr_parse(&obs.resolver, resolver))
		return false;
	mx_strlcpy(obs.zone, zone, sizeof(obs.zone));
	obs.first_ad_us = ju64(o, "first_us");
	obs.last_ad_us = ju64(o, "last_us");
	obs.ad_answers = (uint32_t)ju64(o, "answers");
	return obs.last_ad_us != 0 && resolver_ad_insert(corr_resolver_ad(l->l), &obs);
}

/* Puts one fact back into the stores; false when it cannot be used. */
static bool apply(void *arg, const struct state_fact *sf)
{
	struct correlate_state_link *l = arg;
	union {
		struct expect_mxset mx;
		struct expect_addrs addrs;
		struct expect_tlsa tlsa;
		struct expect_sts sts;
		struct server_history hist;
		struct expect_names names;
	} * val;
	char name[STATE_KEY_MAX];
	struct expect_fact f;
	json_t *o;
	bool ok;

	if (sf->kind > 0 && sf->kind < STATE_KIND_END && l->handlers[sf->kind].fn != NULL)
		return l->handlers[sf->kind].fn(l->handlers[sf->kind].arg, sf);
	o = json_loadb(sf->value, sf->value_len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return false;
	}
	if (sf->kind == STATE_DNSKEY || sf->kind == STATE_DS || sf->kind == STATE_INSECURE) {
		ok = apply_dnssec(l, sf, o);
		json_decref(o);
		return ok;
	}
	if (sf->kind == STATE_RESOLVER_AD) {
		ok = apply_resolver_ad(l, sf, o);
		json_decref(o);
		return ok;
	}
	val = calloc(1, sizeof(*val));
	memset(&f, 0, sizeof(f));
	ok = val != NULL && decode_expect(sf, o, &f, val, name);
	json_decref(o);
	if (ok && strncmp(sf->source, "sensor ", 7) == 0) {
		/* Shared by another sensor (state_redis.c names it): the alerts say so. */
		if (sf->kind == STATE_MX)
			mx_strlcpy(val->mx.learned_from, sf->source, sizeof(val->mx.learned_from));
		else if (sf->kind == STATE_TLSA)
			mx_strlcpy(val->tlsa.learned_from, sf->source,
				   sizeof(val->tlsa.learned_from));
	}
	if (ok) {
		f.touched_us = sf->learned_us;
		f.keep_until_us = sf->expires_us;
		ok = expect_restore(corr_expect(l->l), &f);
	}
	free(val);
	return ok;
}

bool correlate_load_state(struct correlate *c, struct state *st, char *err, size_t errlen)
{
	struct correlate_state_link *l = link_of(c, true);
	struct state *attached;
	bool ok;

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	attached = l->st;
	l->l = correlate_enter(c, NULL);
	l->v = correlate_validator_enter(c);
	attach(l->l, l->v, NULL);
	ok = state_load(st, apply, l, err, errlen);
	attach(l->l, l->v, attached);
	l->l = NULL;
	l->v = NULL;
	correlate_validator_leave(c);
	correlate_leave(c);
	return ok;
}

size_t correlate_poll_state(struct correlate *c, size_t max)
{
	struct correlate_state_link *l = link_of(c, false);
	size_t n;

	if (l == NULL || l->st == NULL)
		return 0;
	l->l = correlate_enter(c, NULL);
	l->v = correlate_validator_enter(c);
	expect_flush_observed(corr_expect(l->l));
	expect_set_observer(corr_expect(l->l), NULL, NULL);
	dnssec_set_observer(corr_v_dnssec(l->v), NULL, NULL);
	n = state_poll(l->st, apply, l, max);
	attach(l->l, l->v, l->st);
	l->l = NULL;
	l->v = NULL;
	correlate_validator_leave(c);
	correlate_leave(c);
	return n;
}

void correlate_flush_state(struct correlate *c)
{
	struct corr_locked *l = correlate_enter(c, NULL);

	expect_flush_observed(corr_expect(l));
	correlate_leave(c);
}

void correlate_state_handler(struct correlate *c, enum state_kind kind, state_apply_fn fn,
			     void *arg)
{
	struct correlate_state_link *l = link_of(c, true);

	if (l == NULL || kind <= 0 || kind >= STATE_KIND_END)
		return;
	l->handlers[kind].fn = fn;
	l->handlers[kind].arg = arg;
}

void correlate_state_put(struct correlate *c, const struct state_fact *f)
{
	struct correlate_state_link *l = link_of(c, false);

	if (l != NULL && l->st != NULL)
		state_put(l->st, f);
}
