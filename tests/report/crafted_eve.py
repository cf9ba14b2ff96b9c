#!/usr/bin/env python3
"""Writes a small crafted EVE file (stdout) for the report's edge cases,
beyond what the lab captures hold: two UTC days, MTA-STS enforce and
testing, a session to two domains, inbound records and their alerts (left
out), a record without direction (written without home-net: counted), one
flow_id used by two sessions on two days (each alert joins the right one),
a DNS alert naming its domain and one naming none, and records of other
types. Documentation addresses and .test names only."""
import json

HOME = "192.0.2.%d"
n = [0]


def rec(ts, etype, src, dst, sport, dport, flow, **body):
    r = {"timestamp": ts, "flow_id": flow, "community_id": "1:crafted%04d=" % flow,
         "event_type": etype, "src_ip": src, "src_port": sport, "dest_ip": dst,
         "dest_port": dport, "proto": "UDP" if 53 in (sport, dport) else "TCP",
         "app_proto": "smtp" if 25 in (sport, dport) else "dns"}
    r.update(body)
    print(json.dumps(r))


def smtp(ts, client, server, flow, verdict, direction="outbound", rcpt=None, dest=None,
         tls="TLSv1.2", clear=False, policy=None, mx="mx.%s"):
    s = {"helo": "out.client.test", "starttls": {"offered": not clear, "masked": False,
                                                 "issued": not clear},
         "cleartext_transaction": clear, "transactions": 1,
         "verdict": {"dane": verdict[0], "mta-sts": verdict[1]}}
    if rcpt:
        s["rcpt_to"] = ["<user@%s>" % d for d in rcpt]
    if not clear:
        s["tls"] = {"client_hello": True, "version": tls, "handshake_complete": True}
    if direction is not None:
        s["direction"] = direction
    if dest:
        s["destination_domains"] = dest
        s["destination_from"] = "mx"
        s["mx_hosts"] = [mx % dest[0]]
    if policy:
        s["policy"] = policy
    rec(ts, "smtp", client, server, 40000 + flow % 1000, 25, flow, smtp=s)


def alert(ts, src, dst, flow, kind, result, domain=None, source="dane", port=25):
    exp = {"source": source, "validated": True, "trust": "dnssec"}
    if domain:
        exp["domain"] = domain
    dg = {"kind": kind, "evidence": {}, "expectation": exp}
    if result:
        dg["tlsrpt_result"] = result
    rec(ts, "alert", dst, src, port, 40000 + flow % 1000, flow, direction="to_client",
        alert={"action": "allowed", "gid": 1, "signature_id": 1, "rev": 1,
               "signature": kind, "category": "x", "severity": 1}, downgrade=dg)


STS = {"mta-sts": {"mode": "enforce", "policy_domain": "sts.test", "max_age": 86400,
                   "mx": ["*.sts.test"]}}
STS_T = {"mta-sts": {"mode": "testing", "policy_domain": "sts-test.test", "max_age": 600,
                     "mx": ["mx.sts-test.test"]}}
DANE = {"dane": {"source": "dane", "trust": "dnssec", "mx_host": "mx.dane.test",
                 "tlsa": ["3 1 1 " + "ab" * 32]}}
D1, D2 = "2026-11-29T%s+0000", "2026-11-30T%s+0000"

# day 1
smtp(D1 % "08:00:00.000001", HOME % 25, "203.0.113.10", 1, ("none", "ok"), dest=["sts.test"],
     policy=STS)
smtp(D1 % "08:05:00.000000", HOME % 25, "203.0.113.10", 2, ("none", "unverifiable"),
     dest=["sts.test"], tls="TLSv1.3", policy=STS)
alert(D1 % "08:10:00.000000", HOME % 25, "203.0.113.10", 3, "certificate-host-mismatch",
      "certificate-host-mismatch", source="mta-sts")
smtp(D1 % "08:10:01.000000", HOME % 25, "203.0.113.10", 3, ("none", "fail"), dest=["sts.test"],
     policy=STS)
smtp(D1 % "09:00:00.000000", HOME % 11, "203.0.113.20", 4, ("none", "none"),
     rcpt=["a.test", "B.test", "a.test"], clear=True)
alert(D1 % "10:00:00.000000", "198.51.100.7", HOME % 26, 5, "starttls-stripped",
      "starttls-not-supported")
smtp(D1 % "10:00:01.000000", "198.51.100.7", HOME % 26, 5, ("fail", "none"), direction="inbound",
     rcpt=["us.test"], clear=True)
smtp(D1 % "10:30:00.000000", HOME % 25, HOME % 26, 8, ("none", "none"), direction="internal",
     rcpt=["us.test"])
alert(D1 % "11:00:00.000000", HOME % 25, "203.0.113.30", 777, "tlsa-mismatch", "tlsa-invalid")
alert(D1 % "11:00:00.500000", HOME % 25, "203.0.113.30", 777, "tls-version-downgrade", None,
      source="history")
smtp(D1 % "11:00:01.000000", HOME % 25, "203.0.113.30", 777, ("fail", "none"), dest=["dane.test"],
     policy=DANE)
alert(D1 % "12:00:00.000000", HOME % 53, "203.0.113.53", 900, "mta-sts-stripped",
      "sts-policy-fetch-error", domain="sts.test", port=53)
alert(D1 % "12:00:01.000000", HOME % 53, "203.0.113.53", 901, "dns-answer-race", None, port=53)
rec(D1 % "12:30:00.000000", "dns", HOME % 53, "203.0.113.53", 5353, 53, 902, dns={"type": "answer"})
rec(D1 % "23:59:59.999999", "stats", HOME % 1, HOME % 1, 0, 0, 0, stats={"uptime": 1})
# day 2: the same flow_id 777 again (a new connection, same 5-tuple hash)
smtp(D2 % "00:00:00.000000", HOME % 25, "203.0.113.30", 777, ("ok", "none"), dest=["dane.test"],
     policy=DANE)
smtp(D2 % "01:00:00.000000", HOME % 12, "203.0.113.40", 10, ("fail", "none"), direction=None,
     rcpt=["legacy.test"])
smtp(D2 % "02:00:00.000000", HOME % 25, "203.0.113.50", 11, ("none", "ok"),
     dest=["sts-test.test"], policy=STS_T)
# a record with one entry per mail (transactions[]), recipients only in there
print(json.dumps({
    "timestamp": D2 % "03:00:00.000000", "flow_id": 12, "community_id": "1:crafted0012=",
    "event_type": "smtp", "src_ip": HOME % 13, "src_port": 40012, "dest_ip": "203.0.113.60",
    "dest_port": 25, "proto": "TCP", "app_proto": "smtp",
    "smtp": {"direction": "outbound", "cleartext_transaction": True,
             "transactions": [{"mail_from": "<a@client.test>", "rcpt_to": ["<x@t1.test>"]},
                              {"mail_from": "<a@client.test>",
                               "rcpt_to": ["<y@t2.test>", "<z@T1.test>"]}],
             "verdict": {"dane": "none", "mta-sts": "none"}}}))
