#!/usr/bin/env python3
"""Prints the table of scripts/bench: one row per run and a median row per scenario.

Arguments: the .jsonl files of one scripts/bench run; each line is the last stdout line of one chat-bench run.
"""
import json
import os
import statistics
import sys


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def table(title, columns, rows):
    """columns: (header, key, digits); rows: dicts; the last row is the median."""
    print(f"\n{title}")
    widths = [max(len(h), *(len(fmt(r.get(k), d)) for r in rows)) for h, k, d in columns]
    print("  ".join(h.rjust(w) for (h, _, _), w in zip(columns, widths)))
    for r in rows:
        print("  ".join(fmt(r.get(k), d).rjust(w) for (_, k, d), w in zip(columns, widths)))


TRAFFIC = [("run", "run", 0), ("rate/s", "rate", 0), ("deliveries/s", "deliveries_per_s", 0),
           ("loss%", "loss_pct", 3), ("p50 ms", "p50_ms", 2), ("p99 ms", "p99_ms", 2), ("p99.9 ms", "p999_ms", 2),
           ("max ms", "max_ms", 1), ("server CPU%", "server_cpu_pct", 1),
           ("server us/delivery", "server_cpu_us_per_delivery", 3), ("bench CPU%", "gen_cpu_pct", 1)]
IDLE = [("run", "run", 0), ("phase", "phase", 0), ("connections", "connected", 0),
        ("handshakes/s", "handshakes_per_s", 0), ("handshake p99 ms", "handshake_p99_ms", 1),
        ("RSS growth KiB", "server_rss_growth_kib", 0), ("RSS bytes/conn", "server_rss_per_conn_bytes", 0)]
ACK = [("run", "run", 0), ("sender msgs/s", "rate", 0), ("history in flight", "in_flight", 0),
       ("acks", "acks", 0), ("unacked", "unacked", 0), ("ack p50 ms", "ack_p50_ms", 2),
       ("ack p99 ms", "ack_p99_ms", 2), ("ack max ms", "ack_max_ms", 1), ("history pages/s", "history_per_s", 0),
       ("history refused/s", "history_limited_per_s", 0), ("server CPU%", "server_cpu_pct", 1)]
STORM = [("run", "run", 0), ("round", "round", 0), ("clients", "clients", 0), ("not up", "not_up", 0),
         ("failed attempts", "failed_attempts", 0), ("handshakes/s", "handshakes_per_s", 0),
         ("handshake p50 ms", "handshake_p50_ms", 1), ("handshake p99 ms", "handshake_p99_ms", 1),
         ("server us/handshake", "server_cpu_us_per_handshake", 0),
         ("of which JIT us", "server_jit_us_per_handshake", 0), ("bench loop CPU%", "gen_loop_cpu_pct", 1)]
MEMORY = [("run", "run", 0), ("jvm", "phase", 0), ("held", "held", 0), ("added", "added", 0),
          ("RSS fixed KiB", "server_rss_fixed_kib", 0), ("RSS held KiB", "server_rss_held_kib", 0),
          ("RSS all KiB", "server_rss_all_kib", 0), ("bytes/conn first", "server_rss_per_held_conn_bytes", 0),
          ("bytes/added conn", "server_rss_per_added_conn_bytes", 0)]
RESTART = [("run", "run", 0), ("clients", "clients", 0), ("not back", "not_up", 0),
           ("advised window ms", "advised_window_ms", 0),
           ("all back s", "back_s", 1), ("after first back s", "back_after_first_s", 1),
           ("failed attempts", "failed_attempts", 0), ("handshake p50 ms", "handshake_p50_ms", 1),
           ("handshake p99 ms", "handshake_p99_ms", 1), ("welcome p99 ms", "up_p99_ms", 0)]
SWEEP = [("run", "run", 0), ("scenario", "sweep_scenario", 0), ("connections", "connections", 0),
         ("highest rate holding (loss<=0.1%, p99<=50ms)", "highest_holding_rate", 0)]


def with_median(runs, keys):
    rows = [dict(r, run=i + 1) for i, r in enumerate(runs)]
    if len(rows) > 1:
        med = {"run": "median"}
        for _, key, _ in keys:
            if key != "run" and all(isinstance(r.get(key), (int, float)) for r in rows):
                med[key] = median(rows, key)
        rows.append(med)
    return rows


for path in sys.argv[1:]:
    name = os.path.basename(path)[:-len(".jsonl")]
    with open(path) as f:
        runs = [json.loads(line) for line in f if line.strip().startswith("{")]
    if not runs:
        print(f"\n{name}: no result (see {path[:-6]}.err)")
        continue
    first = runs[0]
    if first.get("scenario") == "sweep":
        table(f"{name}: sweep of {first.get('sweep_scenario')}", SWEEP, with_median(runs, SWEEP))
        for i, run in enumerate(runs):
            steps = [dict(s, run=i + 1) for s in run.get("steps", [])]
            if steps:
                table(f"{name} run {i + 1}: steps", TRAFFIC, steps)
    elif first.get("scenario") == "ack":
        table(f"{name}: ack latency of one sender, another client looping over history", ACK, with_median(runs, ACK))
    elif first.get("scenario") == "storm":
        kinds = list(dict.fromkeys(rd.get("round") for r in runs for rd in r.get("rounds", [])))
        for kind in kinds:
            rounds = [rd for r in runs for rd in r.get("rounds", []) if rd.get("round") == kind]
            if rounds:
                table(f"{name}: {first.get('connections')} clients at once, {kind} server", STORM,
                      with_median(rounds, STORM))
    elif first.get("scenario") == "memory":
        for jvm in sorted({r.get("phase", "") for r in runs}):
            jvm_runs = [r for r in runs if r.get("phase", "") == jvm]
            label = {"plain": "plain java -jar", "run": "bin/chatd, as scripts/run starts it"}.get(jvm, jvm or "server")
            table(f"{name}: idle connections ({label})", MEMORY, with_median(jvm_runs, MEMORY))
    elif first.get("scenario") == "restart":
        table(f"{name}: {first.get('connections')} clients reconnecting after a restart", RESTART,
              with_median(runs, RESTART))
    elif first.get("scenario") == "idle":
        for phase in ("fresh", "warm"):
            phase_runs = [r for r in runs if r.get("phase", "fresh") == phase]
            if phase_runs:
                table(f"{name} ({phase} server)", IDLE, with_median(phase_runs, IDLE))
    else:
        # Phases (cluster-latency: local, redis-1, redis-3) in the order they ran, each its own table.
        for phase in dict.fromkeys(r.get("phase", "") for r in runs):
            phase_runs = [r for r in runs if r.get("phase", "") == phase]
            head = phase_runs[0]
            shape = f"{head.get('connections')} connections"
            if head.get("scenario") == "fanout":
                shape += f", {head.get('senders')} senders, one room"
            elif head.get("scenario") == "rooms":
                shape += f" in {head.get('rooms')} rooms"
            if (head.get("url_count") or 1) > 1:
                shape += f", spread over {head.get('url_count')} URLs"
            columns = TRAFFIC
            if any(r.get("extra_cpu_pct") is not None for r in phase_runs):
                # Server CPU is summed over the nodes and the --extra-pid processes (redis-server); this is their part.
                at = [key for _, key, _ in TRAFFIC].index("server_cpu_us_per_delivery")
                columns = TRAFFIC[:at] + [("of which redis CPU%", "extra_cpu_pct", 1)] + TRAFFIC[at:]
            title = f"{name}{f' ({phase})' if phase else ''}: {head.get('scenario')}, {shape}"
            table(title, columns, with_median(phase_runs, columns))
