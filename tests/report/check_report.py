#!/usr/bin/env python3
"""Checks an `mxsentry report` output directory against an independent
count over the EVE file it was made from, the way an analyst would count
with jq: every number of report.json and domains.csv, and every TLSRPT
file (RFC 8460 JSON schema, summary and failure-details counts, result
types).

usage: check_report.py EVE OUTDIR SCHEMA [--gzip] [--from D] [--to D]
                       [--expect-result DOMAIN:TYPE ...]
Exit 0 when everything agrees; the first lines of disagreement otherwise.
"""
import argparse
import collections
import csv
import datetime
import gzip
import json
import os
import sys

import jsonschema

RESULT_TYPES = ["starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
                "certificate-not-trusted", "validation-failure", "tlsa-invalid",
                "dnssec-invalid", "dane-required", "sts-policy-fetch-error",
                "sts-policy-invalid", "sts-webpki-invalid"]

errors = []


def err(msg):
    errors.append(msg)


def when(ts):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z")
    return t.astimezone(datetime.timezone.utc)


def count_independently(eve, dfrom, dto):
    recs = [json.loads(line) for line in open(eve) if line.strip()]
    in_window = lambda t: (dfrom is None or t.date().isoformat() >= dfrom) and \
        (dto is None or t.date().isoformat() <= dto)
    sessions = []
    for r in recs:
        if r.get("event_type") != "smtp":
            continue
        if r["smtp"].get("direction", "outbound") != "outbound":
            continue
        t = when(r["timestamp"])
        sessions.append({"rec": r, "t": t, "alerts": []})
    alerts = [{"rec": r, "t": when(r["timestamp"])} for r in recs
              if r.get("event_type") == "alert" and "downgrade" in r]
    # an alert belongs to the earliest session record of its flow at or after it
    by_flow = collections.defaultdict(list)
    for s in sessions:
        by_flow[s["rec"]["flow_id"]].append(s)
    for a in alerts:
        cands = [s for s in by_flow.get(a["rec"]["flow_id"], []) if s["t"] >= a["t"]]
        a["session"] = min(cands, key=lambda s: s["t"]) if cands else None
        if a["session"] is not None:
            a["session"]["alerts"].append(a)
    # alerts join every outbound session; only those of the window are counted
    sessions = [s for s in sessions if in_window(s["t"])]
    for s in sessions:
        smtp = s["rec"]["smtp"]
        doms = [d.lower() for d in smtp.get("destination_domains", [])]
        if not doms:
            rcpts = list(smtp.get("rcpt_to", []))
            if isinstance(smtp.get("transactions"), list):
                for t in smtp["transactions"]:
                    rcpts += t.get("rcpt_to", [])
            for addr in rcpts:
                if "@" in addr:
                    d = addr.rsplit("@", 1)[1].rstrip(">").lower()
                    if d and d not in doms:
                        doms.append(d)
        if not doms:
            named = [a["rec"]["downgrade"].get("expectation", {}).get("domain")
                     for a in s["alerts"]]
            named = [d.lower() for d in named if d]
            doms = named[:1] if named else ["(unknown)"]
        s["domains"] = doms[:4]
        v = smtp.get("verdict", {})
        verdicts = (v.get("dane"), v.get("mta-sts"))
        failing = sorted((a for a in s["alerts"] if a["rec"]["downgrade"].get("tlsrpt_result")),
                         key=lambda a: a["t"])
        if failing:
            s["outcome"] = "failed"
            s["result"] = failing[0]["rec"]["downgrade"]["tlsrpt_result"]
        elif "fail" in verdicts:
            s["outcome"], s["result"] = "failed", "validation-failure"
        elif "ok" in verdicts:
            s["outcome"] = "verified"
        elif "unverifiable" in verdicts:
            s["outcome"] = "unverifiable"
        else:
            s["outcome"] = "no_policy"
    rows = collections.defaultdict(lambda: {
        "sessions": 0, "tls": 0, "verified": 0, "unverifiable": 0, "failed": 0,
        "no_policy": 0, "cleartext": 0, "failed_by_result": collections.Counter(),
        "alerts": collections.Counter(), "times": [], "dane": False, "sts": None})
    for s in sessions:
        smtp = s["rec"]["smtp"]
        for d in s["domains"]:
            row = rows[(d, s["t"].date().isoformat())]
            row["sessions"] += 1
            row["tls"] += bool(smtp.get("tls", {}).get("handshake_complete"))
            row["cleartext"] += bool(smtp.get("cleartext_transaction"))
            row[s["outcome"]] += 1
            if s["outcome"] == "failed":
                row["failed_by_result"][s["result"]] += 1
            row["times"].append(s["t"])
            pol = smtp.get("policy", {})
            if "dane" in pol or smtp["verdict"]["dane"] != "none":
                row["dane"] = True
            if "mta-sts" in pol:
                row["sts"] = pol["mta-sts"]["mode"]
            elif smtp["verdict"]["mta-sts"] != "none":
                row["sts"] = "enforce"
    for a in alerts:
        if a["session"] is not None:
            if not in_window(a["session"]["t"]):
                continue
            keys = [(d, a["session"]["t"].date().isoformat()) for d in a["session"]["domains"]]
        elif a["rec"].get("app_proto") in ("smtp", "smtps") or not in_window(a["t"]):
            continue
        else:
            d = a["rec"]["downgrade"].get("expectation", {}).get("domain")
            keys = [((d or "(unknown)").lower(), a["t"].date().isoformat())]
        for k in keys:
            rows[k]["alerts"][a["rec"]["downgrade"]["kind"]] += 1
            rows[k]["times"].append(a["t"])
    return sessions, rows


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def policy_name(row):
    sts = {"enforce": "mta-sts enforce", "testing": "mta-sts testing"}.get(row["sts"])
    if row["dane"] and sts:
        return "dane + " + sts
    return "dane" if row["dane"] else (sts or "none")


def check_json(rows, report):
    got = {(r["domain"], r["date"]): r for r in report["rows"]}
    if set(got) != set(rows):
        err(f"report.json rows {sorted(got)} != counted {sorted(rows)}")
    for key, want in rows.items():
        r = got.get(key)
        if r is None:
            continue
        for f in ("sessions", "tls", "verified", "unverifiable", "failed", "no_policy",
                  "cleartext"):
            if r[f] != want[f]:
                err(f"report.json {key} {f}: {r[f]} != counted {want[f]}")
        if r["failed_by_result"] != dict(want["failed_by_result"]):
            err(f"report.json {key} failed_by_result {r['failed_by_result']} != "
                f"{dict(want['failed_by_result'])}")
        if r["alerts"] != dict(want["alerts"]):
            err(f"report.json {key} alerts {r['alerts']} != {dict(want['alerts'])}")
        if r["alerts_total"] != sum(want["alerts"].values()):
            err(f"report.json {key} alerts_total")
        if r["first_seen"] != iso(min(want["times"])) or \
                r["last_seen"] != iso(max(want["times"])):
            err(f"report.json {key} first/last seen {r['first_seen']} {r['last_seen']}")
        if r["policy"]["in_force"] != policy_name(want):
            err(f"report.json {key} policy {r['policy']['in_force']} != {policy_name(want)}")
    tot = report["totals"]
    for f in ("sessions", "verified", "unverifiable", "failed", "cleartext", "tls"):
        if tot[f] != sum(w[f] for w in rows.values()):
            err(f"report.json totals.{f}: {tot[f]}")
    if tot["policy_sessions"] != tot["verified"] + tot["unverifiable"] + tot["failed"]:
        err("report.json totals.policy_sessions")


def check_csv(rows, path):
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    got = {(r["domain"], r["date"]): r for r in table}
    if set(got) != set(rows):
        err(f"domains.csv rows {sorted(got)} != counted {sorted(rows)}")
    for key, want in rows.items():
        r = got.get(key)
        if r is None:
            continue
        for f in ("sessions", "tls", "verified", "unverifiable", "failed", "no_policy",
                  "cleartext"):
            if int(r[f]) != want[f]:
                err(f"domains.csv {key} {f}: {r[f]} != counted {want[f]}")
        for t in RESULT_TYPES:
            if int(r["failed_" + t]) != want["failed_by_result"].get(t, 0):
                err(f"domains.csv {key} failed_{t}: {r['failed_' + t]}")
        alerts = dict(kv.split("=") for kv in r["alerts"].split(";") if kv)
        if {k: int(v) for k, v in alerts.items()} != dict(want["alerts"]):
            err(f"domains.csv {key} alerts {r['alerts']}")
        if int(r["alerts_total"]) != sum(want["alerts"].values()):
            err(f"domains.csv {key} alerts_total")
        if r["policy"] != policy_name(want):
            err(f"domains.csv {key} policy {r['policy']}")


def check_tlsrpt(rows, outdir, schema, gz):
    validator = jsonschema.Draft7Validator(schema)
    seen = collections.defaultdict(set)
    files = 0
    for (domain, day), want in rows.items():
        policy_sessions = want["verified"] + want["unverifiable"] + want["failed"]
        path = os.path.join(outdir, "tlsrpt", domain, day + ".json" + (".gz" if gz else ""))
        if policy_sessions == 0:
            if os.path.exists(path):
                err(f"{path}: a TLSRPT file for a domain-day without policy sessions")
            continue
        if not os.path.exists(path):
            err(f"{path}: missing")
            continue
        files += 1
        if gz:
            with open(path, "rb") as f:
                if f.read(2) != b"\x1f\x8b":
                    err(f"{path}: not gzip")
            doc = json.loads(gzip.open(path).read())
        else:
            doc = json.load(open(path))
        for e in validator.iter_errors(doc):
            err(f"{path}: schema: {e.message} at {list(e.path)}")
        if doc["date-range"]["start-datetime"] != day + "T00:00:00Z" or \
                doc["date-range"]["end-datetime"] != day + "T23:59:59Z":
            err(f"{path}: date-range is not the UTC day {day}")
        ok = sum(p["summary"]["total-successful-session-count"] for p in doc["policies"])
        bad = sum(p["summary"]["total-failure-session-count"] for p in doc["policies"])
        if ok != want["verified"] + want["unverifiable"] or bad != want["failed"]:
            err(f"{path}: summary {ok}/{bad} != counted "
                f"{want['verified'] + want['unverifiable']}/{want['failed']}")
        results = collections.Counter()
        for p in doc["policies"]:
            if p["policy"]["policy-domain"] != domain:
                err(f"{path}: policy-domain {p['policy']['policy-domain']}")
            fd = p.get("failure-details", [])
            if sum(d["failed-session-count"] for d in fd) != \
                    p["summary"]["total-failure-session-count"]:
                err(f"{path}: failure-details do not add up to the failure count")
            for d in fd:
                results[d["result-type"]] += d["failed-session-count"]
        if results != want["failed_by_result"]:
            err(f"{path}: result types {dict(results)} != {dict(want['failed_by_result'])}")
        seen[domain] |= set(results)
    present = set()
    for root, _, names in os.walk(os.path.join(outdir, "tlsrpt")):
        present |= {os.path.join(root, n) for n in names}
    if len(present) != files:
        err(f"tlsrpt/: {len(present)} files, {files} expected")
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eve")
    ap.add_argument("outdir")
    ap.add_argument("schema")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--from", dest="dfrom")
    ap.add_argument("--to", dest="dto")
    ap.add_argument("--expect-result", action="append", default=[])
    ap.add_argument("--expect-sessions", type=int)
    a = ap.parse_args()
    sessions, rows = count_independently(a.eve, a.dfrom, a.dto)
    report = json.load(open(os.path.join(a.outdir, "report.json")))
    check_json(rows, report)
    check_csv(rows, os.path.join(a.outdir, "domains.csv"))
    seen = check_tlsrpt(rows, a.outdir, json.load(open(a.schema)), a.gzip)
    for want in a.expect_result:
        domain, rtype = want.split(":")
        if rtype not in seen.get(domain, set()):
            err(f"expected result type {rtype} for {domain}; TLSRPT has {seen.get(domain)}")
    if a.expect_sessions is not None and len(sessions) != a.expect_sessions:
        err(f"{len(sessions)} outbound sessions counted, {a.expect_sessions} expected")
    for e in errors[:40]:
        print("FAIL", e)
    if errors:
        return 1
    print(f"ok: {len(sessions)} sessions, {len(rows)} domain-days, every number agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
