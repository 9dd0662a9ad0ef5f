#!/usr/bin/env bash
# Checks the deployment and monitoring artifacts under deploy/ with the real tools:
#   promtool (config, rules, rule unit tests), systemd-analyze (verify, security),
#   python3 + PyYAML (Kubernetes manifests, Grafana dashboard, cross-file consistency),
#   mosquitto + mosquitto_pub/sub (the broker config is started on a free loopback port and
#   the ACL is exercised).
# On a fresh Debian 12 machine, run as root, it installs what is missing (prometheus,
# python3-yaml, systemd, mosquitto, mosquitto-clients). Uses little CPU and ~10 s.
# Last line: "deploy checks: N passed, N failed"; exits 1 if any check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
D=deploy

passed=0
failed=0
notes=()
tmp=$(mktemp -d)
broker_pid=
cleanup() {
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok    $1"; }
bad() {
    failed=$((failed + 1))
    echo "FAIL  $1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/      | /'
}
# check NAME COMMAND...: passes when COMMAND exits 0; its output is shown only on failure.
# COMMAND runs in this shell (not a $(...) subshell) so that it can set variables (broker_pid).
check() {
    local name=$1 rc=0
    shift
    "$@" >"$tmp/out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then ok "$name"; else bad "$name (exit $rc)" "$(cat "$tmp/out")"; fi
}

# ---------------------------------------------------------------------------------------
# Tools. Install what is missing when root (CI); otherwise the dependent checks fail.
# ---------------------------------------------------------------------------------------
pick_python() {
    local p
    for p in python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' >/dev/null 2>&1; then
            command -v "$p"
            return 0
        fi
    done
    return 1
}
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v python3 >/dev/null 2>&1 || need+=(python3)
pick_python >/dev/null || need+=(python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "check: installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # The prometheus package may try to start its service; without systemd that just fails harmlessly.
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || echo "check: apt-get install failed" >&2
    else
        echo "check: missing ${need[*]} (run as root on Debian to install them)" >&2
    fi
fi
PATH=$PATH:/usr/sbin:/sbin
PY=$(pick_python || true)
have() { command -v "$1" >/dev/null 2>&1; }

# All python-based checks live in one helper; each subcommand is one check.
cat >"$tmp/checks.py" <<'PYEOF'
import json, os, re, sys

ROOT = os.getcwd()
D = os.path.join(ROOT, "deploy")

COUNTERS = """fleetd_detection_out_of_order_total fleetd_mqtt_messages_received_total fleetd_mqtt_connects_total fleetd_readings_accepted_total
fleetd_readings_duplicate_total fleetd_readings_late_total fleetd_readings_rejected_total
fleetd_impossible_values_total fleetd_rows_written_total fleetd_spool_full_waits_total
fleetd_spool_unreadable_bytes_total fleetd_postgres_errors_total fleetd_fuel_transactions_total
fleetd_anomalies_total fleetd_maintenance_alerts_total fleetd_dead_letters_total fleetd_dead_letters_lost_total
fleetd_operator_inputs_loads_total fleetd_operator_rows_invalid_total fleetd_rejections_over_budget_total process_cpu_seconds_total
fleetd_readings_unpartitioned_total fleetd_partitions_created_total fleetd_partitions_dropped_total fleetd_upkeep_problems_total
fleetd_status_writes_refused_total fleetd_events_published_total fleetd_events_unpublishable_total
fleetd_event_publish_refusals_total""".split()
GAUGES = """fleetd_mqtt_connected fleetd_postgres_connected fleetd_spool_used_bytes fleetd_spool_capacity_bytes
fleetd_vehicles_tracked fleetd_detector_vehicles_holding fleetd_detector_vehicles_in_memory fleetd_build_info process_resident_memory_bytes
fleetd_event_publish_lag fleetd_detection_partitions_owned fleetd_detection_lag_seconds""".split()
HISTOGRAMS = "fleetd_batch_commit_seconds fleetd_ingest_latency_seconds fleetd_batch_rows".split()
METRICS = set(COUNTERS + GAUGES + [h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")])

# Every fleetd run flag; the environment key is FLEETD_<KEY>.
FLAGS = """mqtt-url client-id mqtt-username mqtt-password-file mqtt-ca-file mqtt-cert-file mqtt-key-file
mqtt-session-expiry mqtt-receive-maximum mqtt-topics postgres-url postgres-schema admin-addr spool-path
spool-size spool-high-water spool-sync-interval batch-size batch-delay max-payload-bytes max-readings
reorder-window shutdown-timeout log-level log-format detection snapshot-interval postgres-statement-timeout
reject-budget retention rejected-retention dead-letter-retention vehicle-idle-evict publish-events event-topic-prefix
role partitions""".split()
ENV_KEYS = {"FLEETD_" + f.upper().replace("-", "_") for f in FLAGS} | {"FLEETD_CONFIG"}

ALERTS = """FleetdDown FleetdNotKeepingUp FleetdSpoolNearlyFull FleetdPostgresDown FleetdBrokerDown
FleetdRejectionsSpiking FleetdFuelDrainDetected FleetdSlowCommits FleetdSpoolUnreadable FleetdDeadLetters
FleetdRetentionStuck FleetdEventsNotPublished""".split()

errors = []
def err(msg):
    errors.append(msg)

def load_yaml_all(path):
    import yaml
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
                "bool", "offset", "inf", "nan", "Inf", "NaN", "atan2"}

def metric_names(expr):
    """Metric names an expression selects (identifiers that are not functions or keywords)."""
    e = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', expr)   # string literals
    e = re.sub(r'\{[^{}]*\}', ' ', e)                                   # label matchers
    e = re.sub(r'\[[^\]]*\]', ' ', e)                                   # ranges [5m], [$__rate_interval]
    e = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)', ' ', e)
    names = set()
    for m in re.finditer(r'(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?', e):
        word, call = m.group(1), m.group(2)
        if call or word in PROMQL_WORDS:
            continue
        names.add(word)
    return names

UNITS = {"us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "s": 1, "sec": 1, "second": 1, "seconds": 1,
         "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
         "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}

def parse_duration(s):
    """Seconds in a systemd/fleetd/Kubernetes style duration: 10, 10s, 100ms, 1min 30s, 5 seconds, 7d."""
    s = str(s).strip()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", s)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([a-z]+)", "", s).strip() or any(u not in UNITS for _, u in parts):
        raise ValueError("bad duration %r" % s)
    return sum(float(n) * UNITS[u] for n, u in parts)

# --- Prometheus rules --------------------------------------------------------------------
def rules():
    doc = load_yaml_all(os.path.join(D, "prometheus/fleetd-rules.yml"))[0]
    found = {}
    for g in doc["groups"]:
        for r in g["rules"]:
            if "alert" not in r:
                continue
            name = r["alert"]
            found[name] = r
            unknown = metric_names(r["expr"]) - METRICS - {"up"}
            if unknown:
                err("%s: expr uses unknown metric(s) %s" % (name, sorted(unknown)))
            ann = r.get("annotations", {})
            for a in ("summary", "description"):
                if not str(ann.get(a, "")).strip():
                    err("%s: no %s annotation" % (name, a))
            if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                err("%s: severity label must be critical, warning or info" % name)
    for a in ALERTS:
        if a not in found:
            err("alert %s missing" % a)
    # The unit tests must make every alert fire at least once and stay silent at least once.
    tests = load_yaml_all(os.path.join(D, "prometheus/fleetd-rules.test.yml"))[0]
    fires, silent = set(), set()
    for t in tests["tests"]:
        for c in t.get("alert_rule_test", []):
            (fires if c.get("exp_alerts") else silent).add(c["alertname"])
    for a in found:
        if a not in fires:
            err("fleetd-rules.test.yml has no case where %s fires" % a)
        if a not in silent:
            err("fleetd-rules.test.yml has no case where %s stays silent" % a)

# --- Grafana dashboard ------------------------------------------------------------------
def all_panels(ps):
    for p in ps:
        yield p
        yield from all_panels(p.get("panels", []))

def dashboard_exprs():
    with open(os.path.join(D, "grafana/fleetd-dashboard.json")) as f:
        dash = json.load(f)
    out = []
    for p in all_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((p.get("title", "?"), t["expr"]))
    return dash, out

def dashboard():
    dash, exprs = dashboard_exprs()
    if not 36 <= int(dash.get("schemaVersion", 0)) <= 39:
        err("schemaVersion %r is not ~38" % dash.get("schemaVersion"))
    if not any(i.get("name") == "DS_PROMETHEUS" and i.get("pluginId") == "prometheus" for i in dash.get("__inputs", [])):
        err("no DS_PROMETHEUS prometheus input in __inputs")
    tvars = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    for v in ("job", "instance"):
        if v not in tvars:
            err("template variable $%s missing" % v)
    for name, v in tvars.items():
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else str(q or "")
        for m in re.finditer(r'label_values\(\s*([A-Za-z_:][\w:]*)', q):
            if m.group(1) not in METRICS:
                err("variable %s uses unknown metric %s" % (name, m.group(1)))
    used = set()
    panels = list(all_panels(dash.get("panels", [])))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)):
        err("duplicate panel ids")
    for p in panels:
        if p.get("type") == "row":
            continue
        ds = p.get("datasource") or {}
        if ds.get("uid") != "${DS_PROMETHEUS}":
            err("panel %r: datasource is not ${DS_PROMETHEUS}" % p.get("title"))
        if not p.get("targets"):
            err("panel %r has no targets" % p.get("title"))
        for t in p.get("targets", []):
            if (t.get("datasource") or ds).get("uid") != "${DS_PROMETHEUS}":
                err("panel %r: a target's datasource is not ${DS_PROMETHEUS}" % p.get("title"))
    if not exprs:
        err("no panel expressions")
    for title, e in exprs:
        names = metric_names(e)
        if not names:
            err("panel %r: expression selects no metric: %s" % (title, e))
        unknown = names - METRICS
        if unknown:
            err("panel %r: unknown metric(s) %s in %s" % (title, sorted(unknown), e))
        if '$job' not in e or '$instance' not in e:
            err("panel %r: expression ignores $job/$instance: %s" % (title, e))
        used |= names
    wanted = set(COUNTERS + GAUGES) - {"fleetd_build_info"} | {h + "_bucket" for h in HISTOGRAMS}
    missing = wanted - used
    if missing:
        err("dashboard does not show %s" % sorted(missing))

def fuel_dashboard():
    """The PostgreSQL dashboard: one data source input, used by every panel, target, annotation and
    variable, each with SQL (the test suite runs that SQL against a simulated fleet)."""
    with open(os.path.join(D, "grafana/fleetd-fuel-dashboard.json")) as f:
        dash = json.load(f)
    if [i.get("name") for i in dash.get("__inputs", [])] != ["DS_FLEETD_POSTGRES"]:
        err("fuel dashboard: __inputs must be DS_FLEETD_POSTGRES alone")
    things = list(dash.get("panels", []))
    things += [t for p in dash.get("panels", []) for t in p.get("targets", [])]
    things += [a.get("target", {}) for a in dash.get("annotations", {}).get("list", [])]
    things += dash.get("annotations", {}).get("list", [])
    things += [v for v in dash.get("templating", {}).get("list", []) if v.get("type") == "query"]
    for t in things:
        ds = t.get("datasource", {})
        if ds.get("uid") != "${DS_FLEETD_POSTGRES}":
            err("fuel dashboard: %s uses data source %s" % (t.get("title") or t.get("name") or t.get("refId"), ds))
    for p in dash.get("panels", []):
        if not p.get("targets") or not all(t.get("rawSql") for t in p["targets"]):
            err("fuel dashboard: panel %r has a target without SQL" % p.get("title"))

def dashboard_promql(out_path):
    """Writes the dashboard's expressions as recording rules so promtool can parse them."""
    _, exprs = dashboard_exprs()
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for i, (title, e) in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
        e = e.replace("$job", ".+").replace("$instance", ".+")
        lines.append("      - record: dashboard:expr_%d" % i)
        lines.append("        expr: %s" % json.dumps(e))
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")

# --- Kubernetes --------------------------------------------------------------------------
def k8s_scale_out():
    path = os.path.join(D, "kubernetes", "scale-out", "statefulset.yaml")
    docs = {d.get("kind"): d for d in load_yaml_all(path)}
    sts, svc = docs.get("StatefulSet"), docs.get("Service")
    if not sts or not svc:
        err("scale-out: a StatefulSet and a Service expected")
        return
    spec = sts["spec"]
    if spec.get("serviceName") != svc["metadata"]["name"] or (svc["spec"].get("clusterIP") != "None"):
        err("scale-out: serviceName must name the headless Service")
    labels = spec["template"]["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
        err("scale-out: selector does not match the pod labels")
    if any(labels.get(k) != v for k, v in svc["spec"]["selector"].items()):
        err("scale-out: the Service selects other pods")
    c = [c for c in spec["template"]["spec"]["containers"] if c["name"] == "fleetd"][0]
    env = {e["name"]: e for e in c.get("env", [])}
    for k in env:
        if k.startswith("FLEETD_") and k not in ENV_KEYS:
            err("scale-out: env %s is not a fleetd setting" % k)
    if ((env.get("FLEETD_CLIENT_ID") or {}).get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        err("scale-out: FLEETD_CLIENT_ID must be the pod's stable name (one MQTT session and one instance name per pod)")
    topics = (env.get("FLEETD_MQTT_TOPICS") or {}).get("value", "").split(",")
    if not topics or not all(t.startswith("$share/") for t in topics):
        err("scale-out: every subscription must be in a $share group")
    if int((env.get("FLEETD_PARTITIONS") or {}).get("value", "0")) < 1:
        err("scale-out: FLEETD_PARTITIONS must be set (detection by owner)")
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    claims = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])]
    spool = (env.get("FLEETD_SPOOL_PATH") or {}).get("value", "")
    if "spool" not in claims or not spool.startswith(mounts.get("spool", "-") + "/"):
        err("scale-out: the spool must live on a per-pod volume claim")
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    if (env.get("FLEETD_ADMIN_ADDR") or {}).get("value", "").rpartition(":")[2] != str(ports.get("admin")):
        err("scale-out: FLEETD_ADMIN_ADDR does not match the admin port")
    if spec["template"]["spec"].get("terminationGracePeriodSeconds", 30) <= 10:
        err("scale-out: terminationGracePeriodSeconds must outlast the shutdown timeout")

def k8s():
    kd = os.path.join(D, "kubernetes")
    docs = {}
    for fn in sorted(os.listdir(kd)):
        if not fn.endswith((".yaml", ".yml")):
            continue
        try:
            ds = load_yaml_all(os.path.join(kd, fn))
        except Exception as e:   # noqa: BLE001 - report any parse error
            err("%s: %s" % (fn, e))
            continue
        if not ds:
            err("%s: empty" % fn)
        for d in ds:
            for k in ("apiVersion", "kind"):
                if not d.get(k):
                    err("%s: no %s" % (fn, k))
            if not (d.get("metadata") or {}).get("name"):
                err("%s: no metadata.name" % fn)
            docs.setdefault(d.get("kind"), []).append(d)
    for kind in ("Deployment", "ConfigMap", "Secret", "Service", "PersistentVolumeClaim", "PodMonitor"):
        if len(docs.get(kind, [])) != 1:
            err("expected exactly one %s, found %d" % (kind, len(docs.get(kind, []))))
    if errors:
        return
    dep, cm, sec = docs["Deployment"][0], docs["ConfigMap"][0], docs["Secret"][0]
    svc, pvc, pm = docs["Service"][0], docs["PersistentVolumeClaim"][0], docs["PodMonitor"][0]
    spec = dep["spec"]
    if spec.get("replicas") != 1:
        err("Deployment: replicas must be 1 (single-writer spool, one MQTT session per client id)")
    if (spec.get("strategy") or {}).get("type") != "Recreate":
        err("Deployment: strategy must be Recreate (a surge pod would fight over the spool and session)")
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    sel = spec["selector"]["matchLabels"]
    if any(labels.get(k) != v for k, v in sel.items()):
        err("Deployment: selector does not match the pod labels")
    cs = [c for c in pod["containers"] if c["name"] == "fleetd"]
    if len(cs) != 1:
        err("Deployment: no container named fleetd")
        return
    c = cs[0]
    env = {e["name"]: e for e in c.get("env", [])}
    cmdata = cm.get("data", {})
    for k in cmdata:
        if k not in ENV_KEYS:
            err("ConfigMap: %s is not a fleetd setting" % k)
        if re.search(r"PASSWORD", k) and not k.endswith("_FILE"):
            err("ConfigMap: %s looks like a secret" % k)
    for k, v in cmdata.items():
        if re.search(r"://[^/@\s]*:[^/@\s]*@", str(v)):
            err("ConfigMap: %s carries a password in its URL" % k)
    if "FLEETD_CLIENT_ID" not in cmdata and "FLEETD_CLIENT_ID" not in env:
        err("FLEETD_CLIENT_ID unset: the default fleetd-<hostname> changes with every pod")
    refs = {r.get("configMapRef", {}).get("name") for r in c.get("envFrom", [])}
    if cm["metadata"]["name"] not in refs:
        err("Deployment does not load ConfigMap %s via envFrom" % cm["metadata"]["name"])
    for k in env:
        if k.startswith("FLEETD_") and k not in ENV_KEYS:
            err("Deployment: env %s is not a fleetd setting" % k)
    # Admin address, container port, probes.
    addr = (env.get("FLEETD_ADMIN_ADDR") or {}).get("value") or cmdata.get("FLEETD_ADMIN_ADDR")
    if not addr:
        err("FLEETD_ADMIN_ADDR unset: the default 127.0.0.1:9410 is unreachable from the kubelet")
        return
    if "FLEETD_ADMIN_ADDR" in env and "FLEETD_ADMIN_ADDR" in cmdata and cmdata["FLEETD_ADMIN_ADDR"] != addr:
        err("FLEETD_ADMIN_ADDR differs between the ConfigMap and the Deployment")
    host, _, port = addr.rpartition(":")
    if host in ("127.0.0.1", "localhost", "::1", "[::1]"):
        err("FLEETD_ADMIN_ADDR %s is loopback" % addr)
    port = int(port)
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    if port not in ports.values():
        err("no containerPort %d (from FLEETD_ADMIN_ADDR)" % port)
    def probe_port(pr):
        p = pr["httpGet"]["port"]
        return ports.get(p) if isinstance(p, str) else p
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        pr = c.get(probe)
        if not pr or "httpGet" not in pr:
            err("%s: missing or not httpGet" % probe)
            continue
        if pr["httpGet"].get("path") != path:
            err("%s: path %r, want %s" % (probe, pr["httpGet"].get("path"), path))
        if probe_port(pr) != port:
            err("%s: port %r is not the admin port %d" % (probe, pr["httpGet"]["port"], port))
    if c.get("startupProbe") and probe_port(c["startupProbe"]) != port:
        err("startupProbe: not on the admin port")
    # Shutdown: the grace period must outlast fleetd's shutdown timeout.
    st = parse_duration((env.get("FLEETD_SHUTDOWN_TIMEOUT") or {}).get("value") or cmdata.get("FLEETD_SHUTDOWN_TIMEOUT", "10s"))
    if pod.get("terminationGracePeriodSeconds", 30) <= st:
        err("terminationGracePeriodSeconds %s <= shutdown timeout %ss" % (pod.get("terminationGracePeriodSeconds", 30), st))
    # Security.
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    if not (psc.get("runAsNonRoot") or csc.get("runAsNonRoot")):
        err("runAsNonRoot is not set")
    if not csc.get("readOnlyRootFilesystem"):
        err("readOnlyRootFilesystem is not set")
    if csc.get("allowPrivilegeEscalation") is not False:
        err("allowPrivilegeEscalation is not false")
    if "ALL" not in (csc.get("capabilities") or {}).get("drop", []):
        err("capabilities do not drop ALL")
    res = c.get("resources", {})
    if not res.get("requests") or not res.get("limits"):
        err("resources: requests and limits needed")
    # Spool on the PVC.
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    m = mounts.get("/var/lib/fleetd")
    if not m:
        err("nothing mounted at /var/lib/fleetd")
    else:
        claim = (vols.get(m["name"], {}).get("persistentVolumeClaim") or {}).get("claimName")
        if claim != pvc["metadata"]["name"]:
            err("/var/lib/fleetd is not the PVC %s" % pvc["metadata"]["name"])
    spool = (env.get("FLEETD_SPOOL_PATH") or {}).get("value") or cmdata.get("FLEETD_SPOOL_PATH")
    if not spool or not spool.startswith("/var/lib/fleetd/"):
        err("FLEETD_SPOOL_PATH %r is not on the spool volume" % spool)
    # Secrets: PGPASSWORD by secretKeyRef, the MQTT password as a mounted file.
    secret_keys = set((sec.get("stringData") or {}).keys()) | set((sec.get("data") or {}).keys())
    pg = ((env.get("PGPASSWORD") or {}).get("valueFrom") or {}).get("secretKeyRef")
    if not pg:
        err("PGPASSWORD is not a secretKeyRef")
    elif pg.get("name") != sec["metadata"]["name"] or pg.get("key") not in secret_keys:
        err("PGPASSWORD refers to %s/%s, not a key of the example Secret" % (pg.get("name"), pg.get("key")))
    for k, e in env.items():
        if "value" in e and re.search(r"PASSWORD$", k):
            err("env %s has an inline value" % k)
    pwfile = (env.get("FLEETD_MQTT_PASSWORD_FILE") or {}).get("value") or cmdata.get("FLEETD_MQTT_PASSWORD_FILE")
    okfile = False
    for path, mnt in mounts.items():
        sv = (vols.get(mnt["name"]) or {}).get("secret")
        if sv and pwfile and pwfile.startswith(path.rstrip("/") + "/"):
            rel = pwfile[len(path.rstrip("/")) + 1:]
            items = sv.get("items")
            keys = {i["path"]: i["key"] for i in items} if items else {k: k for k in secret_keys}
            if sv.get("secretName") == sec["metadata"]["name"] and keys.get(rel) in secret_keys:
                okfile = True
    if not okfile:
        err("FLEETD_MQTT_PASSWORD_FILE %r is not a file of the mounted Secret" % pwfile)
    # Scraping: annotations, Service, PodMonitor all on the admin port.
    ann = spec["template"]["metadata"].get("annotations", {})
    if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/path", "/metrics") != "/metrics" \
            or str(ann.get("prometheus.io/port")) != str(port):
        err("prometheus.io annotations do not point at :%d/metrics" % port)
    sp = svc["spec"]["ports"]
    if not any((ports.get(p.get("targetPort")) if isinstance(p.get("targetPort"), str) else p.get("targetPort")) == port for p in sp):
        err("Service does not target the admin port")
    if any(svc["spec"]["selector"].get(k) != v for k, v in svc["spec"]["selector"].items() if labels.get(k) != v):
        err("Service selector does not match the pod")
    eps = pm["spec"].get("podMetricsEndpoints", [])
    if not any(ports.get(e.get("port")) == port and e.get("path", "/metrics") == "/metrics" for e in eps):
        err("PodMonitor does not scrape the admin port's /metrics")
    if any(labels.get(k) != v for k, v in pm["spec"]["selector"]["matchLabels"].items()):
        err("PodMonitor selector does not match the pod")

# --- systemd unit (static part; systemd-analyze does the rest) --------------------------
def unit():
    kv = {}
    section = None
    for line in open(os.path.join(D, "systemd/fleetd.service")):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        k, _, v = line.partition("=")
        kv.setdefault((section, k.strip()), []).append(v.strip())
    def get(k, sec="[Service]"):
        v = kv.get((sec, k))
        return v[-1] if v else None
    want = {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
            "Restart": "on-failure", "StateDirectory": "fleetd", "KillSignal": "SIGTERM",
            "EnvironmentFile": "-/etc/fleetd/fleetd.env"}
    for k, v in want.items():
        if get(k) != v:
            err("%s=%r, want %s" % (k, get(k), v))
    if get("ProtectHome") not in ("yes", "true", "read-only", "tmpfs"):
        err("ProtectHome not set")
    if get("CapabilityBoundingSet") != "":
        err("CapabilityBoundingSet must be empty")
    if not (get("User") or get("DynamicUser") == "yes") or get("User") in (None, "root", "0") and get("DynamicUser") != "yes":
        err("no dedicated user (User= or DynamicUser=yes)")
    if not get("LimitNOFILE"):
        err("LimitNOFILE not set")
    if not get("RestartSec") or parse_duration(get("RestartSec")) < 1:
        err("RestartSec missing or under 1s")
    ex = get("ExecStart") or ""
    if not re.match(r"^/usr/local/bin/fleetd run(\s|$)", ex):
        err("ExecStart %r is not /usr/local/bin/fleetd run" % ex)
    envs = dict(e.split("=", 1) for e in kv.get(("[Service]", "Environment"), []))
    spool = re.search(r"--spool-path[= ](\S+)", ex)
    spool = spool.group(1) if spool else envs.get("FLEETD_SPOOL_PATH")
    if spool != "/var/lib/fleetd/fleetd.spool":
        err("spool path %r, want /var/lib/fleetd/fleetd.spool" % spool)
    st = parse_duration(envs.get("FLEETD_SHUTDOWN_TIMEOUT", "10s"))
    ts = get("TimeoutStopSec")
    if not ts or parse_duration(ts) <= st:
        err("TimeoutStopSec %r must exceed the shutdown timeout (%ss)" % (ts, st))
    for k, v in envs.items():
        if k not in ENV_KEYS and k not in ("PGPASSFILE",):
            err("Environment=%s is not a fleetd setting" % k)
        if re.search(r"PASSWORD$", k) or re.search(r"://[^/@\s]*:[^/@\s]*@", v):
            err("Environment=%s carries a secret inline" % k)
    # The env example documents only real settings and holds no secrets.
    seen = set()
    for line in open(os.path.join(D, "systemd/fleetd.env.example")):
        m = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if not m:
            continue
        k, v = m.groups()
        seen.add(k)
        if k not in ENV_KEYS and k != "PGPASSFILE":
            err("fleetd.env.example: %s is not a fleetd setting" % k)
        if k in ("PGPASSWORD", "FLEETD_MQTT_PASSWORD") or re.search(r"://[^/@\s]*:[^/@\s]*@", v):
            err("fleetd.env.example: %s holds a secret inline" % k)
    for k in ("FLEETD_MQTT_URL", "FLEETD_CLIENT_ID", "FLEETD_POSTGRES_URL", "FLEETD_ADMIN_ADDR", "FLEETD_SPOOL_PATH",
              "FLEETD_SPOOL_SIZE", "FLEETD_MQTT_PASSWORD_FILE", "FLEETD_LOG_FORMAT"):
        if k not in seen:
            err("fleetd.env.example does not document %s" % k)

# --- mosquitto (static part; the broker itself checks the rest) ------------------------
def mosquitto():
    conf = {}
    for line in open(os.path.join(D, "mosquitto/mosquitto.conf")):
        if line.strip() and not line.startswith("#"):
            k, _, v = line.strip().partition(" ")
            conf.setdefault(k, []).append(v.strip())
    def one(k):
        return (conf.get(k) or [None])[-1]
    for k, v in {"persistence": "true", "set_tcp_nodelay": "true", "allow_anonymous": "false",
                 "max_inflight_messages": "1000"}.items():
        if one(k) != v:
            err("mosquitto.conf: %s %r, want %s" % (k, one(k), v))
    for k in ("persistence_location", "autosave_interval", "password_file", "acl_file", "persistent_client_expiration",
              "max_queued_bytes", "listener"):
        if not one(k):
            err("mosquitto.conf: %s missing" % k)
    if int(one("max_queued_messages") or 0) < 100000:
        err("mosquitto.conf: max_queued_messages too small for an outage")
    exp = one("persistent_client_expiration") or "0d"
    m = re.fullmatch(r"(\d+)([hdwmy])", exp)
    days = int(m.group(1)) * {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}[m.group(2)] if m else 0
    if days <= 7:
        err("mosquitto.conf: persistent_client_expiration %s must exceed fleetd's 7d session expiry" % exp)
    acl = [l.split() for l in open(os.path.join(D, "mosquitto/acl")) if l.strip() and not l.startswith("#")]
    if ["pattern", "write", "fleet/%u/#"] not in acl:
        err("acl: no 'pattern write fleet/%u/#'")
    try:
        i = acl.index(["user", "fleetd"])
        if ["topic", "read", "fleet/#"] not in acl[i + 1:]:
            raise ValueError
    except ValueError:
        err("acl: no 'user fleetd' with 'topic read fleet/#'")
    if any(l[0] == "topic" and l[1] in ("write", "readwrite") and l[-1].startswith(("fleet/#", "#")) for l in acl):
        err("acl: a user may write every vehicle's topics")

if __name__ == "__main__":
    what = sys.argv[1]
    if what == "dashboard-promql":
        dashboard_promql(sys.argv[2])
    else:
        try:
            {"rules": rules, "dashboard": dashboard, "fuel_dashboard": fuel_dashboard, "k8s": k8s, "k8s_scale_out": k8s_scale_out, "unit": unit, "mosquitto": mosquitto}[what]()
        except Exception as e:   # a file too broken to inspect: report, do not crash
            err("%s: %s" % (type(e).__name__, e))
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)
PYEOF
py() {
    [ -n "$PY" ] || { echo "python3 with PyYAML not available"; return 1; }
    "$PY" "$tmp/checks.py" "$@"
}

# ---------------------------------------------------------------------------------------
# Prometheus
# ---------------------------------------------------------------------------------------
echo "== prometheus"
if have promtool; then
    # promtool resolves rule_files relative to the config file's directory; also make sure
    # the rules file really was loaded through that path (not "0 rule files found").
    prom_config() {
        local out
        out=$(promtool check config "$D/prometheus/prometheus.yml" 2>&1) || { echo "$out"; return 1; }
        echo "$out" | grep -q "fleetd-rules.yml" && echo "$out" | grep -Eq "SUCCESS: [1-9][0-9]* rules found" \
            || { echo "$out"; echo "rules file not loaded through rule_files"; return 1; }
    }
    check "promtool check config prometheus.yml (loads fleetd-rules.yml)" prom_config
    check "promtool check rules fleetd-rules.yml" promtool check rules "$D/prometheus/fleetd-rules.yml"
    check "promtool test rules fleetd-rules.test.yml" promtool test rules "$D/prometheus/fleetd-rules.test.yml"
else
    bad "promtool not installed (apt-get install prometheus)"
fi
check "rules: all 12 alerts, known metrics, annotations, each fires and stays silent in tests" py rules

# ---------------------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------------------
echo "== systemd"
if have systemd-analyze; then
    # verify loads the unit the way PID 1 would (unknown keys, bad values, sections,
    # missing executables...). It reports most problems as warnings with exit 0, so any
    # output counts as failure. ExecStart points at /bin/true in a temp copy because
    # /usr/local/bin/fleetd is not installed here.
    unit_verify() {
        mkdir -p "$tmp/unit"
        sed 's#^ExecStart=/usr/local/bin/fleetd #ExecStart=/bin/true #' "$D/systemd/fleetd.service" >"$tmp/unit/fleetd.service"
        grep -q '^ExecStart=/bin/true run' "$tmp/unit/fleetd.service" || { echo "ExecStart not rewritten"; return 1; }
        local out rc=0
        out=$(cd "$tmp/unit" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./fleetd.service 2>&1) || rc=$?
        # Noise from running outside a systemd-booted machine (containers, CI), not about the unit.
        out=$(printf '%s\n' "$out" | grep -Ev 'not been booted with systemd|Failed to connect to (system scope )?bus|Failed to (open|read) /proc/|/dev/kmsg|^$' || true)
        if [ "$rc" -ne 0 ] || [ -n "$out" ]; then echo "$out"; return 1; fi
    }
    check "systemd-analyze verify fleetd.service (no warnings)" unit_verify
    check "systemd-analyze security: exposure <= 2.0" \
        systemd-analyze security --offline=yes --threshold=20 --no-pager "$tmp/unit/fleetd.service"
else
    bad "systemd-analyze not installed (apt-get install systemd)"
fi
check "fleetd.service: required hardening, restart, spool, timeouts; env example" py unit

# ---------------------------------------------------------------------------------------
# Grafana
# ---------------------------------------------------------------------------------------
echo "== grafana"
check "fleetd-dashboard.json is valid JSON" "${PY:-python3}" -m json.tool "$D/grafana/fleetd-dashboard.json"
check "dashboard: \${DS_PROMETHEUS}, job/instance, only known metrics, every metric shown" py dashboard
check "fleetd-fuel-dashboard.json is valid JSON" "${PY:-python3}" -m json.tool "$D/grafana/fleetd-fuel-dashboard.json"
check "fuel dashboard: \${DS_FLEETD_POSTGRES} everywhere, SQL in every target" py fuel_dashboard
if have promtool; then
    dash_promql() {
        py dashboard-promql "$tmp/dashboard-rules.yml" && promtool check rules "$tmp/dashboard-rules.yml"
    }
    check "dashboard: every expression parses as PromQL (promtool)" dash_promql
fi

# ---------------------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------------------
echo "== kubernetes"
check "manifests parse (PyYAML); probes, ports, secrets, spool PVC, security agree" py k8s
check "scale-out StatefulSet: a spool per pod, client id from the pod name, \$share, partitions" py k8s_scale_out

# ---------------------------------------------------------------------------------------
# mosquitto
# ---------------------------------------------------------------------------------------
echo "== mosquitto"
check "mosquitto.conf and acl: required settings" py mosquitto
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
if [ -x "$MOSQ" ] && [ -n "$PY" ]; then
    # Start the config as written, with only paths, the port and the user replaced, on a free
    # loopback port, in the foreground under our control; stopped by cleanup on exit.
    mosq_start() {
        local m=$tmp/mqtt port
        mkdir -p "$m"
        port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        sed -e "s#^listener 1883\$#listener $port 127.0.0.1#" \
            -e "s#^persistence_location .*#persistence_location $m/#" \
            -e "s#^password_file .*#password_file $m/passwd#" \
            -e "s#^acl_file .*#acl_file $m/acl#" \
            -e "s#^log_dest .*#log_dest file $m/mosquitto.log#" \
            -e '/^user /d' "$D/mosquitto/mosquitto.conf" >"$m/mosquitto.conf"
        grep -q "^listener $port 127.0.0.1\$" "$m/mosquitto.conf" || { echo "no 'listener 1883' line to rewrite"; return 1; }
        echo "user $(id -un)" >>"$m/mosquitto.conf"   # as root, stay root (the temp dir is ours)
        cp "$D/mosquitto/acl" "$m/acl"
        : >"$m/passwd"
        chmod 0600 "$m/passwd"
        local u
        for u in fleetd TRUCK-1 TRUCK-2 fleet-app; do
            mosquitto_passwd -b "$m/passwd" "$u" "pw-$u" || { echo "mosquitto_passwd failed"; return 1; }
        done
        "$MOSQ" -c "$m/mosquitto.conf" >"$m/stdout" 2>&1 &
        broker_pid=$!
        echo "$port" >"$m/port"
        local i
        for i in $(seq 1 30); do
            if ! kill -0 "$broker_pid" 2>/dev/null; then
                cat "$m/stdout" "$m/mosquitto.log" 2>/dev/null; broker_pid=; return 1
            fi
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.1
        done
        sleep 0.3
        kill -0 "$broker_pid" 2>/dev/null || { cat "$m/stdout" "$m/mosquitto.log" 2>/dev/null; broker_pid=; return 1; }
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "not listening on $port"; return 1; }
        grep -E "Error" "$m/stdout" "$m/mosquitto.log" 2>/dev/null && return 1
        return 0
    }
    check "mosquitto -c mosquitto.conf starts and listens (temp paths, loopback port)" mosq_start
    if [ -n "$broker_pid" ] && have mosquitto_pub && have mosquitto_sub; then
        # The ACL: a unit publishes only under fleet/<its username>/; fleetd reads everything
        # (also through $share); anonymous clients and wrong passwords are refused.
        mosq_acl() {
            local m=$tmp/mqtt port s1 s2 rc=0
            port=$(cat "$m/port")
            timeout 6 mosquitto_sub -p "$port" -u fleetd -P pw-fleetd -q 1 -v -t 'fleet/#' -W 3 >"$m/sub1" 2>&1 & s1=$!
            timeout 6 mosquitto_sub -V 5 -p "$port" -u fleetd -P pw-fleetd -q 1 -v -t '$share/fleetd/fleet/+/telemetry' -W 3 >"$m/sub2" 2>&1 & s2=$!
            sleep 0.5
            timeout 5 mosquitto_pub -p "$port" -u TRUCK-1 -P pw-TRUCK-1 -q 1 -t fleet/TRUCK-1/telemetry -m own || { echo "TRUCK-1 could not publish to its own topic"; rc=1; }
            timeout 5 mosquitto_pub -p "$port" -u TRUCK-1 -P pw-TRUCK-1 -q 1 -t fleet/TRUCK-2/telemetry -m spoofed >/dev/null 2>&1 || true
            timeout 5 mosquitto_pub -V 5 -p "$port" -u TRUCK-1 -P pw-TRUCK-1 -q 1 -t fleet/TRUCK-2/fuel -m spoofed >/dev/null 2>&1 || true
            if timeout 5 mosquitto_pub -p "$port" -q 1 -t fleet/TRUCK-1/telemetry -m anonymous >/dev/null 2>&1; then echo "anonymous publish accepted"; rc=1; fi
            if timeout 5 mosquitto_pub -p "$port" -u TRUCK-1 -P wrong -q 1 -t fleet/TRUCK-1/telemetry -m badpw >/dev/null 2>&1; then echo "wrong password accepted"; rc=1; fi
            if timeout 5 mosquitto_sub -p "$port" -u TRUCK-2 -P pw-TRUCK-2 -t 'fleet/#' -C 1 -W 2 >"$m/sub3" 2>&1; then echo "TRUCK-2 can read fleet/#: $(cat "$m/sub3")"; rc=1; fi
            wait "$s1" "$s2" || true
            [ "$(grep -c '^fleet/' "$m/sub1")" = 1 ] && grep -qx 'fleet/TRUCK-1/telemetry own' "$m/sub1" \
                || { echo "fleetd on fleet/# got:"; cat "$m/sub1"; rc=1; }
            [ "$(grep -c '^fleet/' "$m/sub2")" = 1 ] && grep -qx 'fleet/TRUCK-1/telemetry own' "$m/sub2" \
                || { echo "fleetd on \$share/fleetd/fleet/+/telemetry got:"; cat "$m/sub2"; rc=1; }
            return "$rc"
        }
        check "mosquitto ACL: own topic only, fleetd reads all (also \$share), no anonymous" mosq_acl
        # Events: only fleetd writes fleetd/events/#, a consumer reads it, a unit can neither forge nor read them.
        mosq_events_acl() {
            local m=$tmp/mqtt port s1 rc=0
            port=$(cat "$m/port")
            timeout 6 mosquitto_sub -V 5 -p "$port" -u fleet-app -P pw-fleet-app -q 1 -v -t 'fleetd/events/#' -W 3 >"$m/sub4" 2>&1 & s1=$!
            sleep 0.5
            timeout 5 mosquitto_pub -V 5 -p "$port" -u TRUCK-1 -P pw-TRUCK-1 -q 1 -t fleetd/events/drain/TRUCK-2 -m forged >/dev/null 2>&1 || true
            timeout 5 mosquitto_pub -V 5 -p "$port" -u TRUCK-1 -P pw-TRUCK-1 -q 1 -t fleetd/events/refuel/TRUCK-1 -m forged-own >/dev/null 2>&1 || true
            timeout 5 mosquitto_pub -V 5 -p "$port" -u fleet-app -P pw-fleet-app -q 1 -t fleetd/events/refuel/TRUCK-1 -m consumer >/dev/null 2>&1 || true
            timeout 5 mosquitto_pub -V 5 -p "$port" -u fleetd -P pw-fleetd -q 1 -t fleetd/events/drain/TRUCK-1 -m real || { echo "fleetd could not publish an event"; rc=1; }
            if timeout 5 mosquitto_sub -p "$port" -u TRUCK-2 -P pw-TRUCK-2 -t 'fleetd/events/#' -C 1 -W 2 >"$m/sub5" 2>&1; then echo "a unit can read the events: $(cat "$m/sub5")"; rc=1; fi
            wait "$s1" || true
            [ "$(grep -c '^fleetd/' "$m/sub4")" = 1 ] && grep -qx 'fleetd/events/drain/TRUCK-1 real' "$m/sub4" \
                || { echo "fleet-app on fleetd/events/# got:"; cat "$m/sub4"; rc=1; }
            return "$rc"
        }
        check "mosquitto ACL: only fleetd writes fleetd/events/#, fleet-app reads it, units neither" mosq_events_acl
    elif [ -n "$broker_pid" ]; then
        notes+=("mosquitto ACL test skipped: mosquitto_pub/mosquitto_sub not installed (mosquitto-clients)")
    else
        notes+=("mosquitto ACL test not run: the broker did not start")
    fi
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
        broker_pid=
    fi
else
    notes+=("mosquitto broker start skipped: mosquitto not installed")
fi

for n in "${notes[@]}"; do echo "note: $n"; done
echo "deploy checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
