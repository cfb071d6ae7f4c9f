"""The targets of issues 9 and 19 judged against a run, and the Markdown table of the run."""

from __future__ import annotations

TARGETS_MS = {"province_p99": 300.0}
PROVINCE_STALE_S = 2.0
SESSION_3000_S = 30.0
TALLY_S = 0.100
VERIFY_3000_CPU_S = 30.0
GROUP_OPS_MULTIPLE = 1.5
MACHINE_CORES = 2.0


def _rows(result: dict) -> list[dict]:
    return [*result.get("scenarios", []), *([result["province"]] if "province" in result else [])]


def ballot_costs(result: dict) -> list[dict]:
    """Where one cast ballot's CPU goes, per database (its largest closed-loop session) and in
    the province morning, against the group operations its encryption and proofs need.

    Server CPU per ballot (gunicorn, the three requests page → issue → cast, streams or polls
    included) is measured end to end; of it, the encryption with its proofs and the Ed25519
    signature are the in-process costs measured in the same run, and the rest is HTTP, Flask
    and the database driver. PostgreSQL's own CPU per ballot is measured beside it. The group
    operations a ballot needs (counted in one encryption, weighted by the measured rates) are
    the floor the multiple is taken against."""
    box = result["ceilings"].get("ballot_box")
    ed = result["ceilings"].get("ed25519")
    if not box or not ed:
        return []
    largest: dict[str, dict] = {}
    for row in result.get("scenarios", []):
        if row["sessions"] == 1 and row["ballots_cast"] > largest.get(
                row["db"], {"ballots_cast": 0})["ballots_cast"]:
            largest[row["db"]] = row
    rows = list(largest.values()) + ([result["province"]] if "province" in result else [])
    floor = box["encrypt_group_ops_cpu_ms"]
    encrypt, sign = box["encrypt_ballot_cpu_ms"], 1000 / ed["sign_per_cpu_s"]
    costs = []
    for row in rows:
        if not row["ballots_cast"]:
            continue
        server, pg = row["cpu_ms_per_ballot"]["server"], row["cpu_ms_per_ballot"]["postgres"]
        costs.append({
            "scenario": row["name"], "db": row["db"], "server_ms": server, "postgres_ms": pg,
            "encrypt_ms": round(encrypt, 2), "sign_ms": round(sign, 3),
            "http_flask_driver_ms": round(server - encrypt - sign, 2),
            "group_ops_ms": round(floor, 2),
            "group_var_mul_equivalent": round(box["encrypt_var_mul_equivalent"], 1),
            "multiple_server": round(server / floor, 2),
            "multiple_server_and_db": round((server + pg) / floor, 2)})
    return costs


def targets(result: dict) -> list[dict]:
    """Each target with the measured figure and whether it was met (None: not measured)."""
    found = []

    def add(name: str, figure, met: bool | None, target: str) -> None:
        found.append({"target": name, "wanted": target, "measured": figure, "met": met})

    rows = _rows(result)
    bad = [(r["name"], r["db"], r["errors"], r["missing"], r["double_counts"]) for r in rows
           if r["errors"] or r["missing"] or r["double_counts"]]
    add("zero errors and zero double counts", bad if bad else "all clean",
        not bad if rows else None, "0 errors, 0 missing, 0 double counts in every scenario")
    province = result.get("province")
    if province:
        p99 = province["kiosk_latency"]["p99_ms"]
        stale = province["chair_staleness"]["max_s"]
        full = province["window_s"] >= 600 and province["ballots_expected"] >= 48_000
        add("province morning p99", p99, p99 is not None and p99 < 300 and full,
            "< 300 ms with 48,000 ballots in 600 s")
        add("chair screens' staleness", stale,
            stale is not None and stale <= PROVINCE_STALE_S
            and province["chair_staleness"]["never_shown"] == 0 and full, "≤ 2 s")
        cpu = province["cpu_cores"]
        used = round(cpu["server"] + cpu["postgres"], 2)
        add("province morning: cores used by gunicorn + PostgreSQL", f"{used} (load generator "
            f"{cpu['generator']} on the same machine)", used <= MACHINE_CORES and full and province["missing"] == 0,
            "one 2-core machine (≤ 2.0), every ballot cast")
    for row in rows:
        if row["delegates_per_session"] == 3000 and row["sessions"] == 1 and row["db"] == "postgres":
            add("3,000 delegates cast by 64 kiosks on PostgreSQL", row["wall_s"],
                row["wall_s"] <= SESSION_3000_S and row["missing"] == 0, "≤ 30 s")
    for cost in result.get("ballot_cost", []):
        add(f"server + DB CPU per ballot ÷ its group operations ({cost['db']}, "
            f"{cost['scenario']})",
            f"{cost['multiple_server_and_db']}× ({cost['server_ms'] + cost['postgres_ms']:.1f} "
            f"ms ÷ {cost['group_ops_ms']:.1f} ms; server alone {cost['multiple_server']}×)",
            cost["multiple_server_and_db"] <= GROUP_OPS_MULTIPLE, "≤ 1.5×")
    for name, figures in result.get("offline", {}).items():
        if name.startswith("session"):
            add(f"opening and tally of {figures['ballots']} ballots ({name})",
                f"{figures['tally_s']:.4f} s wall ({figures['tally_cpu_s']:.4f} s CPU)",
                figures["tally_s"] < TALLY_S, "< 0.100 s")
        if name.startswith("session") and figures["ballots"] >= 3000:
            add(f"ballot verify of a {figures['ballots']}-ballot bundle, one core ({name})",
                f"{figures['verify_cpu_s']:.1f} CPU s ({figures['verify_s']:.1f} s wall)",
                figures["verify_cpu_s"] < VERIFY_3000_CPU_S and figures["verify_ok"], "< 30 s")
    return found


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _workers(row: dict) -> str:
    # Where the server offers live streams the pages follow them instead of polling.
    return row["workers"] + (" + streams" if row.get("live") == "streams" else "")


def _province_costs(result: dict) -> list[str]:
    found = result.get("province_costs")
    if not found:
        return []
    lines = ["", "## What the province's screens would cost if they polled (same server, each "
             "request hammered alone by 32 clients)", "",
             "| request | req/s | errors | server CPU ms | PostgreSQL CPU ms |",
             "|---|---|---|---|---|"]
    for name, cost in found["per_request"].items():
        lines.append(f"| {name} | {cost['requests_per_s']:,.0f} | {cost['errors']} "
                     f"| {cost['server_cpu_ms']:.2f} | {cost['postgres_cpu_ms']:.2f} |")
    demand = found["demand"]
    lines += ["", "Cores the province's offered load would need from gunicorn + PostgreSQL with "
              "every screen polling (rate × CPU per request; a ballot's cost from the largest "
              "closed-loop session); where streams are offered the screens do not poll:",
              "", "| load | requests/s | cores |", "|---|---|---|"]
    for name, cores in demand["cores"].items():
        rate = demand["requests_per_s"].get(name)
        lines.append(f"| {name} | {'—' if rate is None else f'{rate:,.0f}'} | {cores} |")
    return lines


def _ballot_costs(result: dict) -> list[str]:
    costs = result.get("ballot_cost")
    if not costs:
        return []
    box = result["ceilings"]["ballot_box"]
    ops = box["encrypt_group_ops"]
    lines = ["", "## Where a ballot's CPU goes (server CPU measured end to end; encrypt and sign "
             "measured in-process, same run)", "",
             "| scenario | db | server ms | of which encrypt + proofs | sign | HTTP + Flask + DB "
             "driver | PostgreSQL ms | group operations ms | server ÷ group ops "
             "| server + PostgreSQL ÷ group ops (goal ≤ 1.5×) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for c in costs:
        lines.append(f"| {c['scenario']} | {c['db']} | {c['server_ms']:.1f} "
                     f"| {c['encrypt_ms']:.1f} | {c['sign_ms']:.2f} "
                     f"| {c['http_flask_driver_ms']:.1f} | {c['postgres_ms']:.1f} "
                     f"| {c['group_ops_ms']:.1f} | {c['multiple_server']:.2f}× "
                     f"| {c['multiple_server_and_db']:.2f}× |")
    lines += ["", f"A ballot of {box['projects']} projects (quota {box['quota']}) needs "
              f"{ops['var_mul']} variable-base and {ops['base_mul']} base-point multiplications "
              f"and {ops['add']} additions or subtractions (counted in one encryption with its "
              f"proofs): {box['encrypt_var_mul_equivalent']:.0f} variable-base multiplications' "
              f"worth at this run's rates, {box['encrypt_group_ops_cpu_ms']:.1f} CPU ms. Server "
              "CPU per ballot includes the screens' streams or polls during the scenario."]
    return lines


def markdown(result: dict) -> str:
    """The run as Markdown: load scenarios, ceilings, offline timings, workers, targets."""
    lines = [f"# Benchmark run {result['started_utc']} UTC",
             "",
             f"{result['machine']['cores']} cores, Python {result['machine']['python']}; "
             f"run time {result.get('run_seconds', 0):.0f} s.",
             *(f"- note: {note}" for note in result.get("notes", [])), "",
             "## Ballots over HTTP (page → issue → cast per ballot)", "",
             "| scenario | db | gunicorn | ballots | wall s | ballots/s | p50 ms | p95 ms | p99 ms "
             "| errors | missing | unacked | double | ÷ commits/2 | chair stale max s "
             "| CPU gen / server / pg / other | CPU ms per ballot server / pg |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ceilings = result["ceilings"]
    for row in _rows(result):
        lat = row["kiosk_latency"]
        commits = ceilings.get(f"insert_commit_{row['db']}", {}).get("commits_per_s")
        cpu = row["cpu_cores"]
        lines.append(
            f"| {row['name']} | {row['db']} | {_workers(row)} | {row['ballots_cast']} "
            f"| {row['wall_s']:.1f} | {row['ballots_per_s']:.1f} | {_ms(lat['p50_ms'])} "
            f"| {_ms(lat['p95_ms'])} | {_ms(lat['p99_ms'])} | {row['errors']} | {row['missing']} "
            f"| {row['unacknowledged']} | {row['double_counts']} ")
        lines[-1] += (f"| {2 * row['ballots_per_s'] / commits:.2f} " if commits else "| — ")
        stale = row["chair_staleness"]["max_s"]
        lines[-1] += (f"| {'—' if stale is None else stale} "
                      f"| {cpu['generator']} / {cpu['server']} / {cpu['postgres']} "
                      f"/ {cpu['other']} ")
        per = row["cpu_ms_per_ballot"]
        lines[-1] += f"| {per['server']:.1f} / {per['postgres']:.1f} |"
    lines += ["", "Latency: every kiosk request (page, issue, cast), from the moment the kiosk "
              "wanted to send it. CPU: average cores used by the load generator, gunicorn and "
              "PostgreSQL during the scenario, and by everything else on the machine (other "
              "users' jobs: this machine is shared); 2.00 = both cores.", "",
              "## Ceilings (same run)", "", "| ceiling | figure |", "|---|---|"]
    ed = ceilings.get("ed25519", {})
    if ed:
        lines.append(f"| Ed25519 sign, one core | {ed['sign_per_s']:,.0f} /s wall, "
                     f"{ed['sign_per_cpu_s']:,.0f} /CPU-s |")
        lines.append(f"| Ed25519 verify, one core | {ed['verify_per_s']:,.0f} /s wall, "
                     f"{ed['verify_per_cpu_s']:,.0f} /CPU-s |")
    box = ceilings.get("ballot_box", {})
    if box:
        lines.append(f"| ristretto255 scalar mult, one core (libsodium) "
                     f"| {box['var_mul_per_cpu_s']:,.0f} /CPU-s variable base, "
                     f"{box['base_mul_per_cpu_s']:,.0f} /CPU-s base point, "
                     f"{box['add_per_cpu_s']:,.0f} additions /CPU-s |")
        ops = box["encrypt_group_ops"]
        lines.append(f"| group operations of one ballot ({box['projects']} projects) "
                     f"| {ops['var_mul']} variable-base + {ops['base_mul']} base-point mults + "
                     f"{ops['add']} additions = {box['encrypt_var_mul_equivalent']:.0f} "
                     f"variable-base mults' worth, {box['encrypt_group_ops_cpu_ms']:.1f} CPU ms |")
        lines.append(f"| ballot box, {box['projects']} projects, quota {box['quota']}, one core "
                     f"| encrypt with proofs {box['encrypt_ballot_cpu_ms']:.1f} CPU ms, "
                     f"verify {box['verify_ballot_cpu_ms']:.1f} CPU ms |")
    for name, figure in ceilings.items():
        if name.startswith("trivial_"):
            lines.append(f"| trivial GET {figure['path']} ({name[8:]} server, 64 clients) "
                         f"| {figure['requests_per_s']:,.0f} req/s, p99 {_ms(figure['p99_ms'])} ms, "
                         f"errors {figure['errors']}, server CPU "
                         f"{figure['server_cpu_ms_per_request']:.2f} ms/request |")
        if name.startswith("insert_commit_"):
            lines.append(f"| insert + commit, one connection ({name[14:]}) "
                         f"| {figure['commits_per_s']:,.0f} /s |")
    lines += _ballot_costs(result)
    opened = result.get("province", {}).get("close_and_open")
    if opened:
        lines += ["", f"After the province morning, each of the {opened['sessions']} townships "
                  f"closed its round (ciphertexts multiplied per project) and opened its box with "
                  f"two drill shares, in-process: close {opened['close_s']:.1f} s "
                  f"({opened['close_cpu_s']:.1f} CPU s), opening and count {opened['open_s']:.1f} s "
                  f"({opened['open_cpu_s']:.1f} CPU s) for all of them; {opened['counted']} "
                  "counted."]
    lines += _province_costs(result)
    offline = result.get("offline", {})
    if offline:
        lines += ["", "## Tally, export, verify (in-process)", "",
                  "| data | ballots | close s | opening + tally s (CPU s) | tally, pure s "
                  "| export s | bundle MB | verify s (CPU s) | verify entries/s (/CPU-s) "
                  "| ÷ Ed25519 verify, CPU (wall) | ok |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, f in offline.items():
            cpu_ratio = f["verify_entries_per_cpu_s"] / ed["verify_per_cpu_s"] if ed else 0
            wall_ratio = f["verify_entries_per_s"] / ed["verify_per_s"] if ed else 0
            lines.append(
                f"| {name} | {f['ballots']} | {f['close_and_count_s']:.3f} "
                f"| {f['tally_s']:.4f} ({f['tally_cpu_s']:.4f}) | {f['tally_pure_s']:.4f} "
                f"| {f['export_s']:.3f} | {f['bundle_bytes'] / 1e6:.1f} "
                f"| {f['verify_s']:.2f} ({f['verify_cpu_s']:.2f}) "
                f"| {f['verify_entries_per_s']:,.0f} ({f['verify_entries_per_cpu_s']:,.0f}) "
                f"| {cpu_ratio:.2f} ({wall_ratio:.2f}) | {f['verify_ok']} |")
    for kind, workers in result.get("workers", {}).items():
        if not workers["comparison"]:
            lines += ["", f"gunicorn on {kind}: {workers['chosen']} (fixed, not compared)"]
            continue
        lines += ["", f"## gunicorn set-ups on {kind} (chosen: {workers['chosen']})", "",
                  "| set-up | ballots/s | p50 ms | p99 ms | errors | CPU gen / server / pg |",
                  "|---|---|---|---|---|---|"]
        for row in workers["comparison"]:
            cpu = row["cpu_cores"]
            lines.append(f"| {_workers(row)} | {row['ballots_per_s']:.1f} "
                         f"| {_ms(row['kiosk_latency']['p50_ms'])} "
                         f"| {_ms(row['kiosk_latency']['p99_ms'])} | {row['errors']} "
                         f"| {cpu['generator']} / {cpu['server']} / {cpu['postgres']} |")
    lines += ["", "## Targets", "", "| target | wanted | measured | met |", "|---|---|---|---|"]
    for t in result.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {t['wanted']} | {t['measured']} | {met} |")
    return "\n".join(lines) + "\n"
