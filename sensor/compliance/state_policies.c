/*
 * state_policies.c - the policy domains of the state store; see
 * state_policies.h.
 */
#include "compliance/state_policies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/state.h"

struct collect {
	json_t *domains; /* domain -> its object */
	json_t *tlsa;	 /* host -> trust */
};

static json_t *domain_obj(struct collect *c, const char *domain)
{
	json_t *o = json_object_get(c->domains, domain);

	if (o == NULL) {
		o = json_pack("{s:s, s:[], s:n, s:b, s:[], s:b, s:n, s:n}", "domain", domain,
			      "mx_hosts", "mx_trust", "dane", 0, "tlsa_hosts", "mta-sts", 0,
			      "mta-sts_id", "mta-sts_trust");
		json_object_set_new(c->domains, domain, o);
	}
	return o;
}

static bool take_fact(void *arg, const struct state_fact *f)
{
	struct collect *c = arg;
	json_t *v = json_loadb(f->value, f->value_len, 0, NULL);
	json_t *o, *mx, *it, *list;
	size_t i;

	if (v == NULL)
		return false;
	if (f->kind == STATE_MX) {
		o = domain_obj(c, f->key);
		mx = json_object_get(o, "mx_hosts");
		json_array_clear(mx);
		list = json_object_get(v, "mx");
		for (i = 0; i < json_array_size(list) && (it = json_array_get(list, i)) != NULL;
		     i++) {
			json_t *host = json_array_get(it, 1);

			if (json_is_string(host))
				json_array_append(mx, host);
		}
		json_object_set_new(o, "mx_trust", json_string(f->trust));
	} else if (f->kind == STATE_STS) {
		o = domain_obj(c, f->key);
		json_object_set_new(o, "mta-sts", json_true());
		json_object_set(o, "mta-sts_id", json_object_get(v, "id"));
		json_object_set_new(o, "mta-sts_trust", json_string(f->trust));
	} else if (f->kind == STATE_TLSA) {
		char host[STATE_KEY_MAX];
		char *colon;

		snprintf(host, sizeof(host), "%s", f->key);
		colon = strrchr(host, ':');
		if (colon != NULL && strcmp(colon, ":25") == 0) {
			*colon = '\0';
			json_object_set_new(c->tlsa, host, json_string(f->trust));
		}
	}
	json_decref(v);
	return true;
}

static int cmp_domain(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "domain")),
		      json_string_value(json_object_get(*(json_t *const *)b, "domain")));
}

json_t *state_policies_load(const char *spec)
{
	struct collect c = {json_object(), json_object()};
	struct state_config cfg;
	struct state *st;
	char err[512] = "";
	json_t **list, *o, *out;
	size_t n = 0;
	bool ok;

	if (strstr(spec, "://") == NULL && access(spec, R_OK) != 0) {
		/* never create an empty store where one was meant to be read */
		fprintf(stderr, "mxsentry report: --state %s: %s\n", spec, strerror(errno));
		json_decref(c.domains);
		json_decref(c.tlsa);
		return NULL;
	}
	state_config_defaults(&cfg);
	cfg.max_rows = 0;
	st = state_open(spec, &cfg, err, sizeof(err));
	ok = st != NULL && state_load(st, take_fact, &c, err, sizeof(err));
	state_close(st);
	if (!ok) {
		fprintf(stderr, "mxsentry report: --state %s: %s\n", spec,
			err[0] ? err : "cannot be read");
		json_decref(c.domains);
		json_decref(c.tlsa);
		return NULL;
	}
	list = calloc(json_object_size(c.domains) + 1, sizeof(*list));
	out = json_array();
	for (void *iter = json_object_iter(c.domains); iter != NULL;
	     iter = json_object_iter_next(c.domains, iter)) {
		o = json_object_iter_value(iter);
		json_t *mx = json_object_get(o, "mx_hosts"), *h;
		size_t i;

		for (i = 0; i < json_array_size(mx) && (h = json_array_get(mx, i)) != NULL; i++) {
			if (json_object_get(c.tlsa, json_string_value(h)) != NULL) {
				json_object_set_new(o, "dane", json_true());
				json_array_append(json_object_get(o, "tlsa_hosts"), h);
			}
		}
		if (list != NULL)
			list[n++] = o;
	}
	if (list != NULL) {
		qsort(list, n, sizeof(*list), cmp_domain);
		for (size_t i = 0; i < n; i++)
			json_array_append(out, list[i]);
	}
	free(list);
	json_decref(c.domains);
	json_decref(c.tlsa);
	return out;
}
