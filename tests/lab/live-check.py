#!/usr/bin/env python3
"""live-check.py - judges what a live mxsentry wrote in the lab tests.

    live-check.py live --eve F1 [F2 ...] --watch WATCH --expected RAW
                       --windows WINDOWS --pcap PCAP --pcap-packets N
                       [--pcap-dropped N]
                       [--max-latency S]
    live-check.py soak --eve F1 [F2 ...] --sessions TSV --rss RSS
                       [--server IP] [--rss-slack-pct P] [--rss-slack-kb K]

`live` (test_live.sh): the alerts in the EVE files (in rotation order) must
be exactly the expected multiset: the lines of RAW (tests/lab/expect.sh on
the capture of the whole run, not made unique) plus the one rule that only
a sensor running across scenarios needs, tls-version-downgrade (a TLS session
negotiating a lower version than the server negotiated before, in sessions
that ended earlier and were not attacked; README "Detections"). Each alert
must have become visible (WATCH, from live-watch.py) within the maximum
latency of its packet time, inside the window of a scenario (WINDOWS: name,
phase `before`/`after` the rotation, benign/attack, start, end of its
traffic, end of its settling time), none in a benign scenario, each attack
scenario at least one, the ones of phase `before` in the first file and
those of `after` in the last. `field` lines of RAW are checked on the
records (the syntax of tests/pcap/README.md). The final stats record must
show zero drops (every `*drop*` counter of the capture and the workers), as
many decoded packets as tcpdump captured through the same filter (N), and
as many alerts raised as written.

`soak` (test_soak.sh): every attack session in TSV (from live-load.py) has
exactly one starttls-masked and one cleartext-policy-violation alert, no
clean session has any, every session has its smtp record (clean ones with
TLS and a DANE verdict of ok; a 5-tuple the client used twice counts
twice), the final stats show zero drops, and
RSS (RSS: wall time and KiB per line) is flat after warm-up: the maximum of
the last third of the samples is at most max(P %, K KiB) above the maximum
of the first third.

Prints a report; exits 0 when everything holds, 1 otherwise.
"""
import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print(f"  FAIL {msg}")


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def session_of(ev):
    """The session an event belongs to, client first ("ip:port -> ip:port")."""
    a = (ev["src_ip"], ev["src_port"])
    b = (ev["dest_ip"], ev["dest_port"])
    if ev.get("direction") == "to_client":
        a, b = b, a
    return f"{a[0]}:{a[1]} -> {b[0]}:{b[1]}"


# Alerts on DNS answers form incidents (README, "Incidents"): the first of a
# kind for one domain, server and resolver within the window is written,
# later ones (a resolver's retries, or the next attack on the same zone by
# the same path) are counted into it.
INCIDENT_WINDOW = 600.0


def dns_side(key):
    """True for an alert key on a DNS answer ("kind C:port -> S:53")."""
    return key.rsplit(":", 1)[-1] == "53"


def incident_group(key):
    """(kind, resolver address, server address) of a DNS-side alert key."""
    kind, rest = key.split(" ", 1)
    c, s = rest.split(" -> ")
    return kind, c.rsplit(":", 1)[0], s.rsplit(":", 1)[0]


def read_eve(paths):
    """Every event of the files, with the index of its file; fails on a line
    that is not a JSON object."""
    events = []
    for i, p in enumerate(paths):
        with open(p, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    fail(f"{p}:{n}: last line not terminated (cut line)")
                try:
                    ev = json.loads(line)
                except ValueError:
                    fail(f"{p}:{n}: not JSON: {line[:120]!r}")
                    continue
                ev["_file"] = i
                ev["_line"] = line.rstrip("\n")
                events.append(ev)
    return events


def final_stats(events):
    stats = [e for e in events if e.get("event_type") == "stats"]
    if not stats:
        fail("no stats record at all")
        return None
    return stats[-1]["stats"]


def leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def check_drops(st):
    """Zero packets lost: every `*drop*` counter of the capture (the kernel's,
    the interface's, the worker queues') and of each worker."""
    cap = st.get("capture", {})
    drops = {k: v for k, v in leaves({"capture": cap, "workers": st.get("workers", {})})
             if "drop" in k}
    print(f"  final stats: capture.kernel_packets={cap.get('kernel_packets')} "
          f"decoder.pkts={st.get('decoder', {}).get('pkts')} "
          f"detect.alert={st.get('detect', {}).get('alert')} "
          f"eve.reopens={st.get('eve', {}).get('reopens')}")
    print("  drop counters: " + (" ".join(f"{k}={v}" for k, v in sorted(drops.items()))
                                 or "none in the stats record"))
    if "capture.kernel_drops" not in drops:
        fail("the final stats record has no capture.kernel_drops")
    for k, v in sorted(drops.items()):
        if v != 0:
            fail(f"packets dropped: {k}={v}")
    # With several workers, DNS frames kept their capture order throughout.
    order = {k: cap.get(k) for k in ("worker_order_waits", "worker_order_timeouts",
                                     "worker_order_unqueued") if k in cap}
    if order:
        print("  order of DNS frames: " + " ".join(f"{k}={v}" for k, v in order.items()))
        for k in ("worker_order_timeouts", "worker_order_unqueued"):
            if order.get(k, 0) != 0:
                fail(f"DNS frames ran out of capture order: capture.{k}={order[k]}")


def tshark_rows(pcap, fields, display):
    cmd = ["tshark", "-r", pcap, "-Y", display, "-T", "fields", "-E", "separator=/t",
           "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in res.stdout.splitlines():
        yield line.split("\t")


def history_expectations(pcap, attacked):
    """tls-version-downgrade lines: sessions whose negotiated TLS version is
    below the highest one the same server completed in a session that ended
    before this one's ServerHello and was not attacked (README: "the
    negotiated TLS version is below what this server negotiated before")."""
    fields = ["tcp.stream", "frame.time_epoch", "ip.src", "tcp.srcport", "ip.dst",
              "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tls.handshake.type",
              "tls.handshake.version", "tls.handshake.extensions.supported_version",
              "tls.record.content_type", "tcp.len"]
    streams = {}
    for r in tshark_rows(pcap, fields, "tcp.port == 25"):
        r += [""] * (len(fields) - len(r))
        sid, t = r[0], float(r[1])
        s = streams.setdefault(sid, {"flow": None, "server": None, "hello": None,
                                     "version": 0, "end": t, "data": set(),
                                     "alert": False})
        s["end"] = t
        if r[6] == "1" and r[7] == "0":
            s["flow"] = f"{r[2]}:{r[3]} -> {r[4]}:{r[5]}"
            s["server"] = (r[4], r[5])
        if s["server"] is None:
            continue
        from_server = (r[2], r[3]) == s["server"]
        if from_server and "2" in r[8].split("|") and s["hello"] is None:
            s["hello"] = t
            ver = r[10] or r[9]
            s["version"] = int(ver.split("|")[0], 16) if ver else 0
        if "21" in r[11].split("|"):
            s["alert"] = True
        # Payload after the ServerHello from both sides and no visible TLS
        # alert: a completed handshake (TLS 1.3 records are opaque here).
        if s["hello"] is not None and t > s["hello"] and r[12] not in ("", "0"):
            s["data"].add(from_server)
    out = []
    done = []  # (end, server, version) of completed, unattacked sessions
    for s in sorted(streams.values(), key=lambda x: x["hello"] or x["end"]):
        if s["flow"] is None or s["hello"] is None or s["version"] == 0:
            continue
        best = max((v for end, srv, v in done if srv == s["server"] and end < s["hello"]),
                   default=0)
        downgraded = best > s["version"]
        if downgraded:
            out.append(f"tls-version-downgrade {s['flow']}")
        complete = s["data"] == {True, False} and not s["alert"]
        if complete and not downgraded and s["flow"] not in attacked:
            done.append((s["end"], s["server"], s["version"]))
    return out


def render(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def lookup(ev, path):
    cur = ev
    for part in path.split("."):
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return "<absent>", None
    return render(cur), cur


def holds(ev, path, op, want):
    text, raw = lookup(ev, path)
    if op == "=":
        return text == want
    if op == "!=":
        return text != want
    if op in (">=", "<="):
        if not isinstance(raw, (int, float)) or isinstance(raw, bool):
            return False
        return raw >= float(want) if op == ">=" else raw <= float(want)
    if isinstance(raw, list):
        return any(render(x) == want for x in raw)
    return isinstance(raw, str) and want in raw


def check_fields(events, fields):
    """`field TYPE SRC -> DST PATHopVALUE` lines of expect.sh (the syntax of
    tests/pcap/README.md): every record of TYPE between exactly those
    addresses holds the assertion, and there is at least one."""
    for line in fields:
        m = re.match(r"field (\S+) (\S+) -> (\S+) ([A-Za-z0-9_.-]+?)(!=|>=|<=|=|~)(.*)$", line)
        m = m or re.match(r"field (\S+) (\*)()() ?([A-Za-z0-9_.-]+?)(!=|>=|<=|=|~)(.*)$", line)
        if not m:
            fail(f"cannot read expected line: {line}")
            continue
        etype, src, dst, path, op, want = m.groups()
        recs = [e for e in events if e.get("event_type") == etype and
                (src == "*" or (f"{e.get('src_ip')}:{e.get('src_port')}" == src and
                                f"{e.get('dest_ip')}:{e.get('dest_port')}" == dst))]
        if not recs:
            fail(f"no {etype} record for: {line}")
            continue
        for e in recs:
            if not holds(e, path, op, want):
                fail(f"{line}: the record has {path}={lookup(e, path)[0]}")
    print(f"  {len(fields)} field assertions checked")


def read_watch(path):
    """Line text -> list of (wall time, inode) in order of appearance."""
    seen = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            wall, ino, text = line.rstrip("\n").split("\t", 2)
            if text.startswith("PARTIAL "):
                fail(f"watcher saw an unterminated line at the end: {text[:120]!r}")
                continue
            seen[text].append((float(wall), ino))
    return seen


def cmd_live(a):
    events = read_eve(a.eve)
    alerts = [e for e in events if e.get("event_type") == "alert"]
    seen = read_watch(a.watch)
    windows = []
    with open(a.windows, encoding="utf-8") as f:
        for line in f:
            name, phase, kind, t0, t1, t2 = line.split()
            windows.append({"name": name, "phase": phase, "benign": kind == "benign",
                            "t0": float(t0), "t1": float(t1), "t2": float(t2),
                            "alerts": collections.Counter(), "lat": 0.0})
    with open(a.expected, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    fields = [l for l in lines if l.startswith("field ")]
    expected = [l.strip() for l in lines if not l.startswith("field ")]
    attacked = {l.split(" ", 1)[1] for l in expected
                if l.startswith(("starttls-stripped ", "starttls-masked "))}
    history = history_expectations(a.pcap, attacked)
    expected += history

    print(f"live: {len(events)} EVE lines in {len(a.eve)} files, {len(alerts)} alerts, "
          f"{len(expected)} expected ({len(history)} of them by the history rule)")
    got = collections.Counter()
    used = collections.Counter()
    worst = 0.0
    for ev in alerts:
        kind = ev["downgrade"]["kind"]
        key = f"{kind} {session_of(ev)}"
        got[key] += 1
        ts = parse_ts(ev["timestamp"])
        text = ev["_line"]
        occ = seen.get(text, [])
        if used[text] >= len(occ):
            fail(f"alert never seen by the 100 ms watcher: {key}")
            continue
        wall, _ino = occ[used[text]]
        used[text] += 1
        lat = wall - ts
        worst = max(worst, lat)
        if lat > a.max_latency or lat < -0.05:
            fail(f"latency {lat:.3f} s (packet {ev['timestamp']}, visible "
                 f"{datetime.datetime.fromtimestamp(wall, datetime.timezone.utc):%H:%M:%S.%f}): "
                 f"{key}")
        win = next((w for w in windows if w["t0"] - 0.05 <= ts <= w["t2"]), None)
        if win is None:
            fail(f"alert outside every scenario's run ({ev['timestamp']}): {key}")
            continue
        win["alerts"][kind] += 1
        win["lat"] = max(win["lat"], lat)
        if win["benign"]:
            fail(f"alert in benign scenario {win['name']}: {key}")
        want_file = 0 if win["phase"] == "before" else len(a.eve) - 1
        if ev["_file"] != want_file:
            fail(f"alert of {win['name']} ({win['phase']} the rotation) in "
                 f"{a.eve[ev['_file']]}: {key}")

    silent = []
    print(f"  {'scenario':21} {'phase':6} {'secs':>5} {'alerts':>6} {'max lat':>8}  kinds")
    for w in windows:
        kinds = " ".join(f"{k}x{n}" for k, n in sorted(w["alerts"].items())) or "-"
        print(f"  {w['name']:21} {w['phase']:6} {w['t1'] - w['t0']:5.1f} "
              f"{sum(w['alerts'].values()):6} {w['lat']:8.3f}  {kinds}")
        if not w["benign"] and not w["alerts"]:
            silent.append(w)
    print(f"  worst latency over {len(alerts)} alerts: {worst:.3f} s (limit {a.max_latency} s)")

    # When each expected DNS answer happened: its dns record or flow record.
    when = {}
    for ev in events:
        if ev.get("event_type") in ("dns", "flow") and "src_ip" in ev:
            when.setdefault(session_of(ev), parse_ts(ev["timestamp"]))
    # DNS-side alerts: within one incident window only the first alert of a
    # group is written; every written one must be expected, and every group
    # expected must have been written once per window.
    want = collections.Counter(k for k in expected if not dns_side(k))
    dns_want = [k for k in expected if dns_side(k)]
    dns_got = [(parse_ts(ev["timestamp"]), f"{ev['downgrade']['kind']} {session_of(ev)}")
               for ev in alerts if dns_side(f"{ev['downgrade']['kind']} {session_of(ev)}")]
    for _, key in dns_got:
        got[key] -= 1
        if key not in dns_want:
            fail(f"unexpected DNS alert: {key}")
    first = {}
    for ts, key in sorted(dns_got):
        first.setdefault(incident_group(key), ts)
    for key in dns_want:
        g = incident_group(key)
        t = when.get(key.split(" ", 1)[1])
        if g not in first:
            fail(f"missing: no {g[0]} incident for {g[1]} -> {g[2]} (expected: {key})")
        elif t is not None and t - first[g] > INCIDENT_WINDOW:
            fail(f"an answer past the incident window raised nothing: {key}")
    explained = set()
    for w in windows:
        keys = [k for k in dns_want
                if w["t0"] - 0.05 <= when.get(k.split(" ", 1)[1], -1) <= w["t2"]]
        if keys and all(incident_group(k) in first and first[incident_group(k)] < w["t0"]
                        for k in keys):
            explained.add(w["name"] + w["phase"])
    for w in silent:
        if w["name"] + w["phase"] in explained:
            print(f"  {w['name']} ({w['phase']}): its DNS alerts joined an earlier incident")
        else:
            fail(f"attack scenario {w['name']} raised no alert")
    for key in sorted(set(want) | set(got)):
        if got[key] <= 0 and want[key] == 0:
            continue
        if got[key] < want[key]:
            fail(f"missing ({got[key]} of {want[key]}): {key}")
        elif got[key] > want[key] and want[key] > 0:
            fail(f"duplicate ({got[key]} times, {want[key]} expected): {key}")
        elif got[key] > want[key]:
            fail(f"unexpected ({got[key]} times): {key}")

    check_fields(events, fields)
    st = final_stats(events)
    if st is not None:
        check_drops(st)
        pkts = st.get("decoder", {}).get("pkts")
        lost = a.pcap_packets < (pkts or 0) <= a.pcap_packets + a.pcap_dropped
        if pkts != a.pcap_packets and not lost:
            fail(f"the sensor decoded {pkts} packets, tcpdump captured {a.pcap_packets} "
                 f"through the same filter (and lost {a.pcap_dropped} in the kernel)")
        elif lost:
            print(f"  the sensor decoded {pkts} packets, tcpdump captured {a.pcap_packets}: "
                  f"tcpdump lost {a.pcap_dropped} in the kernel")
        raised = st.get("detect", {}).get("alert")
        if raised != len(alerts):
            fail(f"stats say {raised} alerts raised, the files hold {len(alerts)}")
    print("live: " + ("ok" if not FAILURES else f"{len(FAILURES)} failures"))
    return 0 if not FAILURES else 1


def cmd_soak(a):
    events = read_eve(a.eve)
    # The client's source ports come back now and then (one address, many
    # sessions): a 5-tuple stands for as many sessions as the client made on it.
    sessions = collections.defaultdict(list)
    with open(a.sessions, encoding="utf-8") as f:
        for line in f:
            kind, src, port, result = line.split("\t")[:4]
            sessions[f"{src}:{port} -> {a.server}:25"].append(kind)
    attacks = collections.Counter({k: v.count("attack") for k, v in sessions.items()
                                   if "attack" in v})
    n_sessions = sum(len(v) for v in sessions.values())
    reused = sum(1 for v in sessions.values() if len(v) > 1)
    got = collections.Counter()
    records = collections.defaultdict(list)
    for ev in events:
        if ev.get("event_type") == "alert":
            got[(ev["downgrade"]["kind"], session_of(ev))] += 1
        elif ev.get("event_type") == "smtp":
            records[session_of(ev)].append(ev["smtp"])
    per_kind = collections.Counter(k for k, _ in got.elements())
    print(f"soak: {n_sessions} sessions ({sum(attacks.values())} attacks; {reused} client "
          f"ports used twice), {sum(got.values())} alerts {dict(per_kind)}, "
          f"{sum(len(v) for v in records.values())} smtp records")
    for s, n in sorted(attacks.items()):
        for kind in ("starttls-masked", "cleartext-policy-violation"):
            if got[(kind, s)] != n:
                fail(f"attack session {s}: {got[(kind, s)]} {kind} alerts, {n} expected")
    for (kind, s), n in sorted(got.items()):
        if s not in attacks or kind not in ("starttls-masked", "cleartext-policy-violation"):
            fail(f"unexpected alert {kind} on {s} ({n}x)"
                 + (" (a clean session)" if s in sessions else ""))
    for s, kinds in sorted(sessions.items()):
        recs = records.get(s, [])
        if len(recs) != len(kinds):
            fail(f"session {s}: {len(recs)} smtp records, {len(kinds)} expected")
            continue
        masked = sum(1 for r in recs if r.get("starttls", {}).get("masked"))
        if masked != kinds.count("attack"):
            fail(f"session {s}: {masked} masked smtp records, {kinds.count('attack')} expected")
        for r in recs:
            if r.get("starttls", {}).get("masked"):
                continue
            tls = r.get("tls", {})
            if not (r.get("starttls", {}).get("issued") and tls.get("handshake_complete")
                    and r.get("verdict", {}).get("dane") == "ok"):
                fail(f"clean session {s}: smtp record without a complete TLS handshake "
                     f"and DANE ok: starttls={r.get('starttls')} "
                     f"handshake_complete={tls.get('handshake_complete')} "
                     f"verdict={r.get('verdict')}")
    extra = [s for s in records if s not in sessions]
    if extra:
        fail(f"{len(extra)} smtp records of sessions the client did not make, e.g. {extra[:3]}")

    st = final_stats(events)
    if st is not None:
        check_drops(st)
    samples = []
    with open(a.rss, encoding="utf-8") as f:
        for line in f:
            t, kb = line.split()
            samples.append((float(t), int(kb)))
    if len(samples) < 9:
        fail(f"only {len(samples)} RSS samples")
    else:
        third = len(samples) // 3
        first = max(kb for _, kb in samples[:third])
        last = max(kb for _, kb in samples[-third:])
        allowed = first + max(first * a.rss_slack_pct // 100, a.rss_slack_kb)
        t0 = samples[0][0]
        print("  rss samples (s:KiB): " +
              " ".join(f"{t - t0:.0f}:{kb}" for t, kb in samples))
        print(f"  rss: first third max {first} KiB, last third max {last} KiB, "
              f"growth {last - first:+d} KiB; allowed up to {allowed} KiB "
              f"(+max({a.rss_slack_pct}%, {a.rss_slack_kb} KiB))")
        if last > allowed:
            fail(f"memory grows: last third max {last} KiB > {allowed} KiB")
    print("soak: " + ("ok" if not FAILURES else f"{len(FAILURES)} failures"))
    return 0 if not FAILURES else 1


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    lv = sub.add_parser("live")
    lv.add_argument("--eve", nargs="+", required=True)
    lv.add_argument("--watch", required=True)
    lv.add_argument("--expected", required=True)
    lv.add_argument("--windows", required=True)
    lv.add_argument("--pcap", required=True)
    lv.add_argument("--pcap-packets", type=int, required=True)
    lv.add_argument("--pcap-dropped", type=int, default=0,
                    help="packets tcpdump reported dropped by the kernel")
    lv.add_argument("--max-latency", type=float, default=1.0)
    sk = sub.add_parser("soak")
    sk.add_argument("--eve", nargs="+", required=True)
    sk.add_argument("--sessions", required=True)
    sk.add_argument("--rss", required=True)
    sk.add_argument("--server", default="203.0.113.25")
    sk.add_argument("--rss-slack-pct", type=int, default=10)
    sk.add_argument("--rss-slack-kb", type=int, default=4096)
    a = p.parse_args()
    for path in a.eve:
        if not os.path.exists(path):
            fail(f"{path} does not exist")
            return 1
    return cmd_live(a) if a.cmd == "live" else cmd_soak(a)


if __name__ == "__main__":
    sys.exit(main())
