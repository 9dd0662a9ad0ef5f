#!/usr/bin/env bash
# A private mosquitto and PostgreSQL on free loopback ports, under a run folder.
# Source it, then: stack_start DIR; it exports STACK_MQTT_PORT, STACK_PG_PORT, STACK_PG_URL.
# stack_stop DIR stops both. Nothing listens beyond 127.0.0.1.

stack_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

stack_pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
    echo "stack: PostgreSQL server binaries not found; install the 'postgresql' package" >&2
    return 1
}

# Runs a command as the postgres OS user when we are root (initdb refuses root).
stack_as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stack_start_postgres() {
    local dir=$1 bin port
    bin=$(stack_pg_bin) || return 1
    mkdir -p "$dir/pg"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
    if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
        stack_as_pg "$bin/initdb" -D "$dir/pg/data" -U fleetd --auth=trust -E UTF8 --no-sync >"$dir/pg/initdb.log" 2>&1 \
            || { cat "$dir/pg/initdb.log" >&2; return 1; }
    fi
    port=$(stack_free_port)
    stack_as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start \
        -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c max_connections=50 -c shared_buffers=256MB" >/dev/null \
        || { tail -20 "$dir/pg/server.log" >&2; return 1; }
    stack_as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U fleetd fleet 2>/dev/null || true
    export STACK_PG_PORT=$port
    export STACK_PG_URL="postgresql://fleetd@127.0.0.1:$port/fleet"
    echo "$port" >"$dir/pg/port"
}

# Starts a stopped server again on the port it had (outage tests).
stack_resume_postgres() {
    local dir=$1 bin port
    bin=$(stack_pg_bin) || return 1
    port=$(cat "$dir/pg/port")
    stack_as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start \
        -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c max_connections=50 -c shared_buffers=256MB" >/dev/null
}

stack_stop_postgres() {
    local dir=$1 bin
    bin=$(stack_pg_bin) || return 0
    [ -f "$dir/pg/data/postmaster.pid" ] && stack_as_pg "$bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1
    return 0
}

# Starts the broker of DIR in the background and waits until PORT accepts connections.
stack_launch_mosquitto() {
    local dir=$1 port=$2
    rm -f "$dir/mqtt/pid"
    mosquitto -c "$dir/mqtt/mosquitto.conf" -d || return 1
    # The daemon writes its own pid (pgrep would also catch the parent while it forks).
    for _ in $(seq 1 100); do
        [ -s "$dir/mqtt/pid" ] && (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
        sleep 0.1
    done
}

stack_start_mosquitto() {
    local dir=$1 port
    command -v mosquitto >/dev/null || { echo "stack: mosquitto not found; install the 'mosquitto' package" >&2; return 1; }
    mkdir -p "$dir/mqtt"
    port=$(stack_free_port)
    tls_port=$(stack_free_port)
    # A private CA and a server certificate for 127.0.0.1, for the mqtts:// listener.
    if [ ! -f "$dir/mqtt/server.crt" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fleetd test CA" \
            -keyout "$dir/mqtt/ca.key" -out "$dir/mqtt/ca.crt" >/dev/null 2>&1 || return 1
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
            -keyout "$dir/mqtt/server.key" -out "$dir/mqtt/server.csr" >/dev/null 2>&1 || return 1
        printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/mqtt/san.ext"
        openssl x509 -req -in "$dir/mqtt/server.csr" -CA "$dir/mqtt/ca.crt" -CAkey "$dir/mqtt/ca.key" \
            -CAcreateserial -days 2 -extfile "$dir/mqtt/san.ext" -out "$dir/mqtt/server.crt" >/dev/null 2>&1 || return 1
    fi
    cat >"$dir/mqtt/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $dir/mqtt/
autosave_interval 30
max_inflight_messages 1000
max_queued_messages 2000000
max_queued_bytes 0
set_tcp_nodelay true
log_dest file $dir/mqtt/mosquitto.log
log_type error
log_type warning
log_type notice
user root
pid_file $dir/mqtt/pid
listener $tls_port 127.0.0.1
cafile $dir/mqtt/ca.crt
certfile $dir/mqtt/server.crt
keyfile $dir/mqtt/server.key
CONF
    stack_launch_mosquitto "$dir" "$port" || return 1
    export STACK_MQTT_PORT=$port STACK_MQTTS_PORT=$tls_port STACK_MQTT_CA="$dir/mqtt/ca.crt"
    echo "$port" >"$dir/mqtt/port"
}

# Starts a stopped broker again on its port, with its persisted sessions (outage tests).
stack_resume_mosquitto() {
    local dir=$1 port
    port=$(cat "$dir/mqtt/port")
    stack_launch_mosquitto "$dir" "$port" || return 1
}

stack_stop_mosquitto() {
    local dir=$1
    local pid
    [ -f "$dir/mqtt/pid" ] || return 0
    pid=$(cat "$dir/mqtt/pid")
    kill "$pid" 2>/dev/null || return 0
    # Wait until it has saved its persistence file and freed the port.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    return 0
}

stack_start() {
    stack_start_postgres "$1" && stack_start_mosquitto "$1"
}

stack_stop() {
    stack_stop_mosquitto "$1"
    stack_stop_postgres "$1"
}
