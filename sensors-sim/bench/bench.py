#!/usr/bin/env python3
"""fleetd bench: sustained end-to-end rate, CPU per million readings, ingest latency and peak RSS
under a load sweep, next to two baselines:
  broker      mosquitto_sub to /dev/null (what the broker alone sustains),
  naive-pipe  mosquitto_sub | psql \\copy into a one-column table (the simplest possible ingest).

Starts its own mosquitto and PostgreSQL on free 127.0.0.1 ports under a temp dir and stops them
on exit. Every wait is bounded. Prints a table and writes JSON.

  sensors-sim/bench/bench.py [--rates 10000,25000,50000,max] [--duration 20] [--qos 1] [--json bench.json]

Binaries: $FLEETD (default .build/release/fleetd) and $FLEET_SIM (default .build/release/fleet-sim);
build them first: swift build -c release --product fleetd; swift build -c release --product fleet-sim.
CPU is the client process's own (fleetd; mosquitto_sub; mosquitto_sub + psql), not the broker's
or PostgreSQL's, which are reported separately. Latency is fleetd's own histogram
fleetd_ingest_latency_seconds (MQTT receipt to commit), interpolated within buckets.
"""
import argparse, json, os, pwd, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLK = os.sysconf("SC_CLK_TCK")
PROCS = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(cmd, log, **kw):
    p = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    PROCS.append(p)
    return p


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def wait_until(pred, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


class Postgres:
    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        self.sock = os.path.join(work, "pgsock")
        os.makedirs(self.sock)
        self.port = free_port()
        self.prefix = []
        if os.geteuid() == 0:  # initdb refuses root
            self.prefix = ["runuser", "-u", "postgres", "--"]
            pw = pwd.getpwnam("postgres")
            for d in (work, self.sock):
                os.chown(d, pw.pw_uid, pw.pw_gid)
        bindir = os.environ.get("PG_BINDIR", "")
        self.bin = lambda n: os.path.join(bindir, n) if bindir else n
        subprocess.run(self.prefix + [self.bin("initdb"), "-D", self.dir, "-U", "postgres", "--auth=trust"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self.prefix + [self.bin("pg_ctl"), "-D", self.dir, "-w", "-t", "30", "-l", os.path.join(work, "pg.log"),
                        "-o", f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c max_wal_size=4GB", "start"],
                       check=True, stdout=subprocess.DEVNULL)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def sql(self, q):
        r = subprocess.run(["psql", "-XAtq", self.url, "-c", q], check=True, capture_output=True, text=True, timeout=120)
        return r.stdout.strip()

    def backend_cpu(self):
        """CPU of all PostgreSQL server processes so far (for the record, not per client)."""
        total = 0.0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
                if b"postgres" in cmd and self.dir.encode() in cmd or cmd.startswith(b"postgres:"):
                    total += cpu_seconds(int(pid))
            except OSError:
                pass
        return total

    def stop(self):
        subprocess.run(self.prefix + [self.bin("pg_ctl"), "-D", self.dir, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def start_broker(work):
    port = free_port()
    conf = os.path.join(work, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 1000\n"
                "max_queued_messages 1000000\npersistence false\n")
    p = start(["mosquitto", "-c", conf], os.path.join(work, "mosquitto.log"))
    if not wait_until(lambda: _listening(port), 10):
        sys.exit("mosquitto did not start")
    return p, port


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def load(sim, mqtt, args, rate=None, count=None, duration=None):
    cmd = [sim, "load", "--mqtt-url", mqtt, "--qos", str(args.qos), "--vehicles", str(args.vehicles), "--json"]
    if rate:
        cmd += ["--rate", str(rate)]
    if count:
        cmd += ["--count", str(count)]
    if duration:
        cmd += ["--duration", str(duration)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=(duration or 600) + 120)
    if r.returncode != 0:
        sys.exit(f"fleet-sim load failed: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def metrics(admin):
    with urllib.request.urlopen(f"http://{admin}/metrics", timeout=5) as r:
        return r.read().decode()


def metric_value(text, name, labels=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (not labels or labels in line):
            m = re.match(r"^[^\s{]+(\{[^}]*\})?\s+([0-9.eE+-]+|NaN|\+Inf)", line)
            if m and line.split("{")[0].split()[0] == name:
                total += float(m.group(2))
    return total


def buckets(text, name):
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "_bucket"):
            m = re.search(r'le="([^"]+)"\}\s+([0-9.eE+-]+)', line)
            if m:
                le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
                out[le] = out.get(le, 0) + float(m.group(2))
    return out


def quantile(b0, b1, q):
    bounds = sorted(b1)
    cum = [(le, b1[le] - b0.get(le, 0)) for le in bounds]
    total = cum[-1][1] if cum else 0
    if total <= 0:
        return None
    target = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in cum:
        if c >= target:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((target - prev_c) / max(c - prev_c, 1e-12))
        prev_le, prev_c = le, c
    return None


def timed(cmd_shell, timeout):
    """Runs a shell pipeline under /usr/bin/time; returns (wall s, cpu s, max RSS MB)."""
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "bash", "-c", cmd_shell], capture_output=True, text=True, timeout=timeout)
    wall = time.time() - t0
    u, s, m = r.stderr.strip().splitlines()[-1].split()
    return wall, float(u) + float(s), int(m) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="10000,25000,50000,max", help="offered readings/s per step; max = as fast as possible")
    ap.add_argument("--duration", type=float, default=20, help="seconds per fixed-rate step")
    ap.add_argument("--max-count", type=int, default=1_000_000, help="readings for the 'max' step and the baselines")
    ap.add_argument("--vehicles", type=int, default=2000)
    ap.add_argument("--qos", type=int, default=1)
    ap.add_argument("--drain-timeout", type=float, default=120, help="how long to wait for fleetd to catch up after a step")
    ap.add_argument("--json", default=os.path.join(ROOT, ".run", "bench.json"), help="where the results go (default: .run/bench.json, out of git)")
    ap.add_argument("--skip-fleetd", action="store_true")
    args = ap.parse_args()
    sim = os.environ.get("FLEET_SIM", os.path.join(ROOT, ".build/release/fleet-sim"))
    fleetd = os.environ.get("FLEETD", os.path.join(ROOT, ".build/release/fleetd"))
    for b in [sim] + ([] if args.skip_fleetd else [fleetd]):
        if not os.access(b, os.X_OK):
            sys.exit(f"missing {b}: build it with swift build -c release --product {os.path.basename(b)}")
    work = tempfile.mkdtemp(prefix="fleet-bench-")
    pg = None
    rows = []
    try:
        broker, port = start_broker(work)
        mqtt = f"mqtt://127.0.0.1:{port}"
        pg = Postgres(work)
        n = args.max_count
        q = args.qos

        # Baseline 1: the broker alone, delivering to a subscriber that throws everything away.
        b_cpu0 = cpu_seconds(broker.pid)
        sub = f"mosquitto_sub -h 127.0.0.1 -p {port} -q {q} -t 'fleet/#' -C {n} -W 600 > /dev/null"
        p = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "bash", "-c", sub], stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        t0 = time.time()
        pub = load(sim, mqtt, args, count=n)
        _, err = p.communicate(timeout=660)
        wall = time.time() - t0
        u, s, m = err.strip().splitlines()[-1].split()
        rows.append(dict(system="broker (mosquitto_sub > /dev/null)", offered="max", readings=n, seconds=round(wall, 2),
                         rate=round(n / wall), cpu_s_per_million=round((float(u) + float(s)) / n * 1e6, 2),
                         p50_ms=None, p99_ms=None, peak_rss_mb=round(int(m) / 1024, 1),
                         broker_cpu_s=round(cpu_seconds(broker.pid) - b_cpu0, 2), publisher_rate=pub["readings_per_s"]))

        # Baseline 2: the naive pipe into a one-column table.
        pg.sql("CREATE TABLE raw_payloads (payload text)")
        pg_cpu0 = pg.backend_cpu()
        pipe = (f"mosquitto_sub -h 127.0.0.1 -p {port} -q {q} -t 'fleet/#' -C {n} -W 600 | "
                f"psql -Xq '{pg.url}' -c '\\copy raw_payloads(payload) from stdin'")
        p = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "bash", "-c", pipe], stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        t0 = time.time()
        load(sim, mqtt, args, count=n)
        _, err = p.communicate(timeout=660)
        wall = time.time() - t0
        u, s, m = err.strip().splitlines()[-1].split()
        stored = int(pg.sql("SELECT count(*) FROM raw_payloads"))
        rows.append(dict(system="naive pipe (mosquitto_sub | psql \\copy)", offered="max", readings=stored, seconds=round(wall, 2),
                         rate=round(stored / wall), cpu_s_per_million=round((float(u) + float(s)) / max(stored, 1) * 1e6, 2),
                         p50_ms=None, p99_ms=None, peak_rss_mb=round(int(m) / 1024, 1),
                         postgres_cpu_s=round(pg.backend_cpu() - pg_cpu0, 2)))

        if not args.skip_fleetd:
            admin = f"127.0.0.1:{free_port()}"
            d = start([fleetd, "run", "--mqtt-url", mqtt, "--postgres-url", pg.url, "--admin-addr", admin,
                       "--spool-path", os.path.join(work, "fleetd.spool"), "--client-id", "fleetd-bench"],
                      os.path.join(work, "fleetd.log"))

            def ready():
                try:
                    with urllib.request.urlopen(f"http://{admin}/readyz", timeout=1) as r:
                        return r.status == 200
                except Exception:
                    return False

            if not wait_until(ready, 60, 0.2):
                sys.exit(f"fleetd not ready within 60 s; see {work}/fleetd.log")
            for step in args.rates.split(","):
                step = step.strip()
                m0 = metrics(admin)
                written0 = metric_value(m0, "fleetd_rows_written_total", 'table="readings"')
                lat0 = buckets(m0, "fleetd_ingest_latency_seconds")
                cpu0 = cpu_seconds(d.pid)
                t0 = time.time()
                if step == "max":
                    pub = load(sim, mqtt, args, count=n)
                else:
                    pub = load(sim, mqtt, args, rate=float(step), duration=args.duration)
                published = pub["readings"]
                t_pub = time.time()
                done = [t_pub]

                def caught_up():
                    w = metric_value(metrics(admin), "fleetd_rows_written_total", 'table="readings"') - written0
                    if w >= published:
                        done[0] = time.time()
                        return True
                    return False

                kept = wait_until(caught_up, args.drain_timeout, 0.1)
                m1 = metrics(admin)
                written = metric_value(m1, "fleetd_rows_written_total", 'table="readings"') - written0
                lat1 = buckets(m1, "fleetd_ingest_latency_seconds")
                wall = (done[0] if kept else time.time()) - t0
                p50, p99 = quantile(lat0, lat1, 0.5), quantile(lat0, lat1, 0.99)
                rows.append(dict(system="fleetd", offered=step, readings=int(written), seconds=round(wall, 2),
                                 rate=round(written / wall), cpu_s_per_million=round((cpu_seconds(d.pid) - cpu0) / max(written, 1) * 1e6, 2),
                                 p50_ms=None if p50 is None else round(p50 * 1000, 1), p99_ms=None if p99 is None else round(p99 * 1000, 1),
                                 peak_rss_mb=round(peak_rss_mb(d.pid), 1), publisher_rate=pub["readings_per_s"],
                                 caught_up=kept, lag_after_publish_s=round(done[0] - t_pub, 2) if kept else None))
            d.terminate()
            d.wait(timeout=30)
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        if pg:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)

    hdr = f"{'system':42} {'offered':>8} {'readings':>9} {'rate/s':>9} {'CPU s/1M':>9} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7}"
    print(hdr)
    for r in rows:
        f = lambda v: "-" if v is None else str(v)
        print(f"{r['system']:42} {r['offered']:>8} {r['readings']:>9} {r['rate']:>9} {f(r['cpu_s_per_million']):>9} "
              f"{f(r['p50_ms']):>7} {f(r['p99_ms']):>7} {f(r['peak_rss_mb']):>7}")
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(dict(qos=args.qos, vehicles=args.vehicles, duration_s=args.duration, max_count=args.max_count,
                       host_cpus=os.cpu_count(), rows=rows), f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
