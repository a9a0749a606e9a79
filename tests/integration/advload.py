#!/usr/bin/env python3
"""Load for the fault tests: ADVANCE from concurrent clients, every answer
recorded with its request, and the check of the database against them.

  advload.py run SOCKET... --clients N --households H1,H2,... --out FILE
             --stop FILE [--max-seconds S]
      N clients, each walking its own households (round robin over the
      list) through exit propose, publish, object, publish, object, ...
      Every request carries a unique note ("load c<client> n<seq>"), so
      that its row in fupin.transition can be found. One JSON line per
      request in FILE: client, seq, household, event, note, kind, answer,
      where kind is
        ok         answered ok: must be stored
        refused    answered with an error that says nothing was recorded
                   (state, guard, ..., unavailable before sending): must
                   not be stored
        noconnect  the daemon could not be reached: must not be stored
        ambiguous  the connection or the database went away while the
                   request was out (no answer; unavailable after sending):
                   may or may not be stored
      With several sockets (two daemons) each request goes to the next one
      that answers. Runs until FILE --stop exists (or --max-seconds).

  advload.py check FILE
      reads "note|household|event|to_state" rows of fupin.transition
      (load notes only) on stdin; prints problems, one a line, and exits 1
      when there is one; otherwise prints a summary.
"""
import json
import os
import socket
import sys
import threading
import time

EVENTS_AFTER = {"draft": "publish", "village_notice": "object"}


def arg(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def classify(answer):
    if answer is None:
        return "ambiguous"
    try:
        j = json.loads(answer)
    except ValueError:
        return "ambiguous"
    if j.get("ok"):
        return "ok"
    msg = j.get("message", "")
    if j.get("error") == "unavailable" and not (
        msg.startswith("the database is") or "nothing was recorded" in msg
    ):
        return "ambiguous"  # the connection was lost with the request out
    return "refused"


def run():
    socks = [a for a in sys.argv[2:] if a.endswith(".sock")]
    clients = int(arg("--clients", "8"))
    households = arg("--households").split(",")
    out = open(arg("--out"), "a", buffering=1)
    stop = arg("--stop")
    deadline = time.monotonic() + float(arg("--max-seconds", "120"))
    lock = threading.Lock()

    def client(k):
        mine = households[k::clients]
        state = {h: None for h in mine}
        conn = None
        f = None
        which = k % len(socks)
        seq = 0
        while not os.path.exists(stop) and time.monotonic() < deadline:
            h = mine[seq % len(mine)]
            seq += 1
            st = state[h]
            event = "propose" if st is None else EVENTS_AFTER.get(st, "publish")
            note = "load c%d n%d" % (k, seq)
            line = "ADVANCE %s exit %s %s\n" % (h, event, note)
            answer = None
            kind = None
            if conn is None:
                for _ in range(len(socks)):
                    try:
                        conn = socket.socket(socket.AF_UNIX)
                        conn.settimeout(60)
                        conn.connect(socks[which])
                        f = conn.makefile("rwb")
                        break
                    except OSError:
                        conn.close()
                        conn = None
                        which = (which + 1) % len(socks)
            if conn is None:
                kind = "noconnect"
            else:
                try:
                    f.write(line.encode())
                    f.flush()
                    r = f.readline()
                    answer = r.decode().strip() if r else None
                except (OSError, ValueError):
                    answer = None
                kind = classify(answer)
                if answer is None:
                    try:
                        conn.close()
                    except OSError:
                        pass
                    conn = None
                    which = (which + 1) % len(socks)
            if kind == "ok":
                state[h] = json.loads(answer)["to"]
            elif kind == "refused" and answer and '"error":"state"' in answer:
                # a guess was wrong: try the other event next time
                state[h] = {"draft": "village_notice",
                            "village_notice": "draft"}.get(st, "draft")
            elif kind == "ambiguous":
                # what it became is unknown: the next request says
                state[h] = {"draft": "village_notice",
                            "village_notice": "draft"}.get(st, "draft")
            with lock:
                out.write(json.dumps({"client": k, "seq": seq, "household": h,
                                      "event": event, "note": note,
                                      "kind": kind, "answer": answer},
                                     ensure_ascii=False) + "\n")
            if kind == "noconnect" or (kind == "refused" and
                                       '"error":"unavailable"' in answer):
                time.sleep(0.01)  # restarting, reconnecting: do not spin

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def check():
    reqs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    rows = {}
    problems = []
    for l in sys.stdin:
        l = l.rstrip("\n")
        if not l:
            continue
        note, h, event, to = l.split("|")
        if note in rows:
            problems.append("stored twice: %s" % note)
        rows[note] = (h, event, to)
    kinds = {}
    sent = set()
    for r in reqs:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        sent.add(r["note"])
        got = rows.get(r["note"])
        if r["kind"] == "ok":
            if got is None:
                problems.append("answered ok, not stored: %s %s (%s)"
                                % (r["household"], r["event"], r["note"]))
            elif (got[0], got[1]) != (r["household"], r["event"]):
                problems.append("stored otherwise: %s: %r" % (r["note"], got))
            else:
                to = json.loads(r["answer"])["to"]
                if got[2] != to:
                    problems.append("answered to %s, stored %s: %s"
                                    % (to, got[2], r["note"]))
        elif r["kind"] in ("refused", "noconnect") and got is not None:
            problems.append("answered %s, yet stored: %s %s (%s): %s"
                            % (r["kind"], r["household"], r["event"],
                               r["note"], r["answer"]))
    for note in rows:
        if note not in sent:
            problems.append("stored, never sent: %s" % note)
    for p in problems[:30]:
        print(p)
    if problems:
        print("%d problem(s); requests: %s" % (len(problems), kinds))
        sys.exit(1)
    print("requests: %s; stored: %d" % (
        " ".join("%s %d" % kv for kv in sorted(kinds.items())), len(rows)))


if __name__ == "__main__":
    {"run": run, "check": check}[sys.argv[1]]()
