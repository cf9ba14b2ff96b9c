#!/usr/bin/env python3
"""live-load.py - the SMTP load of the soak test (test_soak.sh): many real
SMTP sessions at a fixed rate, a known share of them through the lab's man
in the middle.

    live-load.py --server IP --clean-src IP --attack-src IP --rate N
                 --seconds S [--attack-every K] [--workers W] --out TSV

Session i (from 1) starts at i/N seconds; every K-th one is an attack
session, made from --attack-src, which the test routes through the man in
the middle in mask-starttls mode. A clean session: EHLO, STARTTLS, TLS 1.2
(no certificate verification: the sensor, not the client, judges the
certificate), EHLO, one message, QUIT. An attack session: EHLO; the reply
must show the masked keyword XXXXXXXA and no STARTTLS (or the attack did
not happen); then, like an opportunistic sender, the message in cleartext
and QUIT.

Writes one line per session to TSV: kind (clean/attack), source address,
source port, result (ok or the error), start (wall time), duration (s).
Prints a summary; exits 0 when every session went as planned.
"""
import argparse
import smtplib
import ssl
import sys
import threading
import time

MESSAGE = (
    "From: load@client.test\r\nTo: user@example.test\r\nSubject: soak\r\n"
    "Message-Id: <{n}@load.client.test>\r\n\r\nsoak message {n}\r\n"
)


def one_session(a, n, attack, ctx):
    src = a.attack_src if attack else a.clean_src
    port = 0
    s = None
    try:
        s = smtplib.SMTP(a.server, 25, local_hostname="load.client.test", timeout=20,
                         source_address=(src, 0))
        port = s.sock.getsockname()[1]
        s.ehlo()
        if attack:
            if "xxxxxxxa" not in s.esmtp_features or s.has_extn("starttls"):
                return port, "not attacked: EHLO reply " + " ".join(s.esmtp_features)
        else:
            if not s.has_extn("starttls"):
                return port, "no STARTTLS offered"
            s.starttls(context=ctx)
            s.ehlo()
        s.sendmail("load@client.test", ["user@example.test"], MESSAGE.format(n=n))
        s.quit()
        return port, "ok"
    except Exception as e:  # every failure is a result to report, not a crash
        if s is not None:
            try:
                s.close()
            except OSError:
                pass
        return port, f"error: {type(e).__name__}: {e}".replace("\t", " ").replace("\n", " ")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", required=True)
    p.add_argument("--clean-src", required=True)
    p.add_argument("--attack-src", required=True)
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--attack-every", type=int, default=50)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2

    total = int(a.rate * a.seconds)
    lock = threading.Lock()
    state = {"next": 1, "late": 0.0}
    results = []
    t0 = time.time() + 0.5

    def worker():
        while True:
            with lock:
                n = state["next"]
                if n > total:
                    return
                state["next"] += 1
            due = t0 + (n - 1) / a.rate
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            start = time.time()
            attack = n % a.attack_every == 0
            port, result = one_session(a, n, attack, ctx)
            took = time.time() - start
            with lock:
                state["late"] = max(state["late"], start - due)
                results.append((n, "attack" if attack else "clean",
                                a.attack_src if attack else a.clean_src, port, result,
                                start, took))

    threads = [threading.Thread(target=worker) for _ in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    results.sort()
    bad = [r for r in results if r[4] != "ok"]
    with open(a.out, "w", encoding="utf-8") as f:
        for _n, kind, src, port, result, start, took in results:
            f.write(f"{kind}\t{src}\t{port}\t{result}\t{start:.6f}\t{took:.3f}\n")
    attacks = sum(1 for r in results if r[1] == "attack")
    slowest = max((r[6] for r in results), default=0.0)
    print(f"load: {len(results)} sessions ({attacks} attacks) in {elapsed:.1f} s, "
          f"{len(results) / elapsed:.1f} sessions/s; slowest session {slowest:.2f} s, "
          f"latest start {state['late']:.2f} s behind schedule; {len(bad)} failed")
    for r in bad[:10]:
        print(f"  session {r[0]} ({r[1]} from {r[2]}:{r[3]}): {r[4]}")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
